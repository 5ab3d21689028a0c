package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
)

// maxBodyBytes bounds a request body; the largest legitimate one is a few
// dozen bytes.
const maxBodyBytes = 64 << 10

const keyParams = "httpapi.params"

// params are a request's parameters: names and values trimmed, the body's
// over the query string's. Values are not validated yet (see validate.go).
type params struct {
	values    map[string]string
	nonScalar map[string]bool // JSON keys whose value was an object or array
}

// parseParams reads the parameters of a command into the gin context.
func (s *server) parseParams(c *gin.Context) {
	p, err := readParams(c.Request)
	if err != nil {
		failWith(c, err)
		return
	}
	c.Set(keyParams, p)
}

// paramsOf returns what parseParams stored.
func paramsOf(c *gin.Context) *params {
	p, _ := c.Get(keyParams)
	return p.(*params) // parseParams precedes every handler that calls this
}

// readParams reads the query string and the body: form-urlencoded,
// multipart/form-data or a JSON object. A body that looks like JSON is read
// as JSON whatever its Content-Type: curl -d sends form's type by default.
func readParams(r *http.Request) (*params, *apiError) {
	query, err := parseForm(r.URL.RawQuery, "query string")
	if err != nil {
		return nil, err
	}
	p := &params{values: query, nonScalar: map[string]bool{}}
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	mediaType, mediaParams, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var fromBody map[string]string
	switch {
	case mediaType == "application/json" || strings.HasSuffix(mediaType, "+json") ||
		bytes.HasPrefix(bytes.TrimSpace(body), []byte("{")):
		fromBody, err = parseJSON(body, p.nonScalar)
	case mediaType == "multipart/form-data":
		fromBody, err = parseMultipart(body, mediaParams["boundary"])
	default:
		fromBody, err = parseForm(string(body), "request body")
	}
	if err != nil {
		return nil, err
	}
	maps.Copy(p.values, fromBody)
	for k := range fromBody {
		delete(p.nonScalar, k)
	}
	return p, nil
}

func readBody(r *http.Request) ([]byte, *apiError) {
	if r.Body == nil {
		return nil, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		return nil, &apiError{http.StatusBadRequest, "the request body could not be read"}
	}
	if len(body) > maxBodyBytes {
		return nil, &apiError{http.StatusRequestEntityTooLarge,
			fmt.Sprintf("the request body is larger than %d bytes", maxBodyBytes)}
	}
	return body, nil
}

// parseForm decodes a=1&b=2. White space around the raw key and value is
// trimmed before decoding (in form encoding it is never data); a value's
// decoded spaces are kept, so that a "+" sent unencoded (a space in form
// data) is refused later instead of silently dropped from a phone number.
// The first of repeated keys wins.
func parseForm(raw, where string) (map[string]string, *apiError) {
	m := map[string]string{}
	for pair := range strings.SplitSeq(raw, "&") {
		k, v, _ := strings.Cut(pair, "=")
		key, err1 := url.QueryUnescape(strings.TrimSpace(k))
		val, err2 := url.QueryUnescape(strings.TrimSpace(v))
		if err1 != nil || err2 != nil {
			return nil, &apiError{http.StatusBadRequest,
				fmt.Sprintf("the %s is not valid form data: bad %%-escape", where)}
		}
		key = strings.TrimSpace(key)
		if _, seen := m[key]; key != "" && !seen {
			m[key] = val
		}
	}
	return m, nil
}

// parseJSON decodes a JSON object of scalars. Numbers and booleans become
// their text; null is absent; keys holding objects or arrays go to nonScalar.
func parseJSON(body []byte, nonScalar map[string]bool) (map[string]string, *apiError) {
	m := map[string]string{}
	if len(bytes.TrimSpace(body)) == 0 {
		return m, nil
	}
	notObject := &apiError{http.StatusBadRequest, "the request body is not a valid JSON object"}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var obj map[string]any
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return nil, notObject
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, notObject // trailing data
	}
	for _, k := range slices.Sorted(maps.Keys(obj)) {
		key := trimBlanks(k)
		if _, seen := m[key]; key == "" || seen {
			continue
		}
		switch v := obj[k].(type) {
		case string:
			m[key] = trimBlanks(v)
		case json.Number:
			m[key] = v.String()
		case bool:
			m[key] = strconv.FormatBool(v)
		case nil:
		default:
			nonScalar[key] = true
		}
	}
	return m, nil
}

// parseMultipart reads the non-file fields of multipart/form-data (what
// PHP's curl sends for an array of fields).
func parseMultipart(body []byte, boundary string) (map[string]string, *apiError) {
	bad := &apiError{http.StatusBadRequest, "the request body is not valid multipart/form-data"}
	if boundary == "" {
		return nil, bad
	}
	m := map[string]string{}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return m, nil
		}
		if err != nil {
			return nil, bad
		}
		key := trimBlanks(part.FormName())
		if _, seen := m[key]; key == "" || seen || part.FileName() != "" {
			continue
		}
		val, err := io.ReadAll(part)
		if err != nil {
			return nil, bad
		}
		m[key] = trimBlanks(string(val))
	}
}

// trimBlanks trims spaces and tabs around a decoded value. CR and LF are
// kept, so that a value carrying them is refused rather than cleaned up.
func trimBlanks(s string) string {
	return strings.Trim(s, " \t")
}
