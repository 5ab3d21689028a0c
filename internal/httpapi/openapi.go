package httpapi

import (
	"net/http"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gin-gonic/gin"

	"github.com/coocenter/coocenterd/docs"
)

// openAPIJSON is docs/openapi.yaml as JSON, converted once.
var openAPIJSON = sync.OnceValues(func() ([]byte, error) {
	doc, err := openapi3.NewLoader().LoadFromData(docs.OpenAPI)
	if err != nil {
		return nil, err
	}
	return doc.MarshalJSON()
})

// handleOpenAPI serves the API's OpenAPI description; it needs no
// authentication (it holds no secret).
func handleOpenAPI(c *gin.Context) {
	body, err := openAPIJSON()
	if err != nil { // the embedded document is checked by the tests: a bug
		fail(c, http.StatusInternalServerError, "the OpenAPI document cannot be read: "+err.Error())
		return
	}
	c.Header("Cache-Control", "no-cache")
	c.Data(http.StatusOK, "application/json", body)
}
