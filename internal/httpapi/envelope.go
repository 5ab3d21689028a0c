package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"
)

// envelope is the MyComm answer: {"status","message","data"}. Message and
// data are left out when empty, as the original does (§3.13 has no message;
// commands have no data).
type envelope struct {
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
	Data    any    `json:"data,omitempty"`
}

// succeed answers 200 with the success envelope. data must be nil (no data
// key) or a non-nil value: an empty list must be an empty slice, so that it
// reads [] and not null.
func succeed(c *gin.Context, message string, data any) {
	writeJSON(c, http.StatusOK, envelope{Status: "success", Message: message, Data: data})
}

// fail answers with the error envelope and stops the handler chain.
func fail(c *gin.Context, status int, message string) {
	writeJSON(c, status, envelope{Status: "error", Message: message})
	c.Abort()
}

// failWith answers with an apiError.
func failWith(c *gin.Context, e *apiError) {
	fail(c, e.status, e.message)
}

// writeJSON writes v as compact UTF-8 JSON, without HTML escaping (the
// original prints "<" as is) and without a trailing newline.
func writeJSON(c *gin.Context, status int, v any) {
	body, err := marshal(v)
	if err != nil { // only our own types are encoded: a bug
		panic("httpapi: encoding the answer: " + err.Error())
	}
	writeBody(c, status, body)
}

// writeBody writes a JSON answer already encoded.
func writeBody(c *gin.Context, status int, body []byte) {
	h := c.Writer.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	c.Status(status)
	_, _ = c.Writer.Write(body) // a client gone away is not our error
}

// marshal is json.Marshal without HTML escaping and without the newline.
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
