package httpapi

import (
	"fmt"
	"log/slog"
	"net/http"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gin-gonic/gin"

	"github.com/coocenter/coocenterd/docs"
)

// openAPIJSON is docs/openapi.yaml as JSON. It is built once per process,
// when the first server registers its routes, not per request.
var openAPIJSON = sync.OnceValues(func() ([]byte, error) {
	doc, err := openapi3.NewLoader().LoadFromData(docs.OpenAPI)
	if err != nil {
		return nil, fmt.Errorf("load docs/openapi.yaml: %w", err)
	}
	return doc.MarshalJSON()
})

// handleOpenAPI serves the OpenAPI description of the API (api.md §6.4),
// converted when the routes are built. It needs no authentication: it
// says what the API is, not what the PBX holds. A document that does not
// load (a build that shipped a broken file, which the tests prevent) is
// logged once and answered with 500; the rest of the API is unaffected.
func handleOpenAPI(log *slog.Logger) gin.HandlerFunc {
	body, err := openAPIJSON()
	if err != nil {
		log.Error("the OpenAPI document is not served", "err", err)
		return func(c *gin.Context) {
			fail(c, http.StatusInternalServerError,
				"the OpenAPI document could not be built: internal error (the coocenterd log has the details)")
		}
	}
	return func(c *gin.Context) {
		c.Header("X-Content-Type-Options", "nosniff")
		c.Data(http.StatusOK, "application/json", body)
	}
}
