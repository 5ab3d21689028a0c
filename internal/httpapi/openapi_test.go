package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gin-gonic/gin"

	"github.com/coocenter/coocenterd/docs"
	"github.com/coocenter/coocenterd/internal/recordings"
	"github.com/coocenter/coocenterd/internal/stream"
)

// loadOpenAPI loads docs/openapi.yaml and checks it against the OpenAPI
// 3.1 specification.
func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(docs.OpenAPI)
	if err != nil {
		t.Fatalf("docs/openapi.yaml: %v", err)
	}
	if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		t.Fatalf("docs/openapi.yaml is not valid: %v", err)
	}
	return doc
}

func TestOpenAPIValid(t *testing.T) {
	doc := loadOpenAPI(t)
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi %q, want 3.1.0", doc.OpenAPI)
	}
}

// ginPathParam is one parameter of a gin path: /:name, or the catch-all
// /*name that takes the rest of the path, slashes included.
var ginPathParam = regexp.MustCompile(`/[:*]([A-Za-z][A-Za-z0-9_]*)`)

// openAPIPath writes a gin route path as OpenAPI does: /*filePath and
// /:id both become /{name}. OpenAPI has no catch-all: the document says in
// words that {filePath} spans several segments.
func openAPIPath(ginPath string) string {
	return ginPathParam.ReplaceAllString(ginPath, "/{$1}")
}

func TestOpenAPIPath(t *testing.T) {
	for in, want := range map[string]string{
		"/coocenter-api/monitor/*filePath": "/coocenter-api/monitor/{filePath}",
		"/a/:id/b":                         "/a/{id}/b",
		"/healthz":                         "/healthz",
	} {
		if got := openAPIPath(in); got != want {
			t.Errorf("openAPIPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// fullServer is the API with every optional part on, so that every route
// routes.go can register is registered.
func fullServer(t *testing.T) *testEnv {
	return newEnv(t, func(o *Options) {
		o.Metrics = http.NotFoundHandler()
		o.Push = &fakePush{}
		o.WrapUps = &fakeWrapUps{}
		o.Recordings = recordings.NewFolder(t.TempDir())
		o.Links = testLinks("a-link-secret-for-tests")
		st := stream.New(stream.Options{})
		t.Cleanup(st.Close)
		o.Stream = st
		o.Bar = &Bar{PauseReasons: []string{"lunch"}}
	})
}

// TestOpenAPICoversEveryRoute: every route the server registers is an
// operation of docs/openapi.yaml with the same method and path, and the
// document has no operation the server lacks.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	doc := loadOpenAPI(t)
	served := map[string]bool{}
	for _, r := range fullServer(t).h.(*gin.Engine).Routes() {
		served[r.Method+" "+openAPIPath(r.Path)] = true
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	for _, r := range slices.Sorted(maps.Keys(served)) {
		if !documented[r] {
			t.Errorf("route %s is not described in docs/openapi.yaml", r)
		}
	}
	for _, r := range slices.Sorted(maps.Keys(documented)) {
		if !served[r] {
			t.Errorf("docs/openapi.yaml describes %s, which the server does not serve", r)
		}
	}
	// A guard against a server built without its optional parts, which
	// would make the comparison above vacuous.
	for _, r := range []string{"GET /metrics", "HEAD /coocenter-api/monitor/{filePath}", "POST /coocenter-api/push/replay",
		"POST /coocenter-api/queues/wrapup-end", "GET /coocenter-api/recordings/link", "GET /coocenter-api/openapi.json",
		"GET /coocenter-api/events", "POST /coocenter-api/bar/link", "GET /bar/wall"} {
		if !served[r] {
			t.Errorf("the server has no %s: it was not built with every part", r)
		}
	}
}

// exampleCheck validates examples against their schemas; it counts them
// and collects what is wrong.
type exampleCheck struct {
	count    int
	problems []string
}

func (c *exampleCheck) errorf(format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, args...))
}

// check validates one example as a client sees it: as JSON.
func (c *exampleCheck) check(where string, schema *openapi3.SchemaRef, example any) {
	if example == nil {
		return
	}
	c.count++
	if schema == nil || schema.Value == nil {
		c.errorf("%s: an example without a schema", where)
		return
	}
	b, err := json.Marshal(example)
	if err != nil {
		c.errorf("%s: the example is not JSON: %v", where, err)
		return
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		c.errorf("%s: %v", where, err)
		return
	}
	if err := schema.Value.VisitJSON(v, openapi3.MultiErrors(), openapi3.EnableJSONSchema2020()); err != nil {
		c.errorf("%s: the example does not fit its schema: %v", where, err)
	}
}

// parameter checks a parameter's (or header's) example and examples.
func (c *exampleCheck) parameter(where string, p *openapi3.Parameter) {
	c.check(where, p.Schema, p.Example)
	for _, name := range slices.Sorted(maps.Keys(p.Examples)) {
		c.check(where+" "+name, p.Schema, p.Examples[name].Value.Value)
	}
}

// content checks every media type's examples; it reports whether each
// media type has at least one.
func (c *exampleCheck) content(where string, content openapi3.Content) bool {
	all := true
	for _, ct := range slices.Sorted(maps.Keys(content)) {
		mt := content[ct]
		c.check(where+" "+ct, mt.Schema, mt.Example)
		for _, name := range slices.Sorted(maps.Keys(mt.Examples)) {
			c.check(where+" "+ct+" "+name, mt.Schema, mt.Examples[name].Value.Value)
		}
		if mt.Example == nil && len(mt.Examples) == 0 && !strings.HasPrefix(ct, "multipart/form-data") {
			all = false
		}
	}
	return all
}

// operation checks the examples of an operation's parameters, request
// body, responses and their headers. Every response with a body, and
// every request body but a multipart form, has an example.
func (c *exampleCheck) operation(where string, shared openapi3.Parameters, op *openapi3.Operation) {
	for _, p := range append(slices.Clone(shared), op.Parameters...) {
		c.parameter(where+" parameter "+p.Value.Name, p.Value)
	}
	if op.RequestBody != nil && !c.content(where+" body", op.RequestBody.Value.Content) {
		c.errorf("%s: a request body without an example", where)
	}
	for code, resp := range op.Responses.Map() {
		for name, h := range resp.Value.Headers {
			c.parameter(where+" "+code+" header "+name, &h.Value.Parameter)
		}
		if !c.content(where+" "+code, resp.Value.Content) {
			c.errorf("%s: answer %s has a body without an example", where, code)
		}
	}
}

// checkExamples walks every operation of the routes and of the push
// events (webhooks).
func checkExamples(doc *openapi3.T) *exampleCheck {
	c := &exampleCheck{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			c.operation(method+" "+path, item.Parameters, op)
		}
	}
	for name, item := range doc.Webhooks {
		for method, op := range item.Operations() {
			if op.RequestBody == nil {
				c.errorf("push %s: no body", name)
			}
			c.operation("push "+name+" "+method, item.Parameters, op)
		}
	}
	return c
}

// TestOpenAPIExamples: every example (of a parameter, a header, a request
// body, an answer; of the routes and of the push events) fits its schema.
func TestOpenAPIExamples(t *testing.T) {
	c := checkExamples(loadOpenAPI(t))
	for _, p := range c.problems {
		t.Error(p)
	}
	t.Logf("%d examples checked", c.count)
	if c.count < 150 {
		t.Errorf("only %d examples checked: the walk misses some", c.count)
	}
}

// TestOpenAPIExamplesCanFail: the walk catches an example that does not
// fit, in an answer and in a push.
func TestOpenAPIExamplesCanFail(t *testing.T) {
	bad := string(docs.OpenAPI)
	for _, edit := range [][2]string{
		{"example: { status: success, message: tansfer extension success }", "example: { status: success, message: 42 }"},
		{"holdTime: 0\n", "holdTime: \"0\"\n"},
	} {
		if !strings.Contains(bad, edit[0]) {
			t.Fatalf("docs/openapi.yaml has no %q any more: pick another example to break", edit[0])
		}
		bad = strings.Replace(bad, edit[0], edit[1], 1)
	}
	doc, err := openapi3.NewLoader().LoadFromData([]byte(bad))
	if err != nil {
		t.Fatal(err)
	}
	c := checkExamples(doc)
	if len(c.problems) != 2 || !strings.Contains(c.problems[0]+c.problems[1], "transfer") || !strings.Contains(c.problems[0]+c.problems[1], "cc_cdr") {
		t.Errorf("want the transfer answer and the cc_cdr push refused, got %q", c.problems)
	}
}

// TestOpenAPIServed: GET /coocenter-api/openapi.json needs no credentials
// and is the document as JSON.
func TestOpenAPIServed(t *testing.T) {
	env := newEnv(t, func(o *Options) { o.WebKey = testWebKey })
	w := env.do(req{method: http.MethodGet, target: BasePath + "/openapi.json"})
	if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("got %d, Content-Type %q", w.Code, w.Header().Get("Content-Type"))
	}
	if !json.Valid(w.Body.Bytes()) {
		t.Fatalf("not JSON: %.200s", w.Body.String())
	}
	served, err := openapi3.NewLoader().LoadFromData(w.Body.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	want := loadOpenAPI(t)
	if served.OpenAPI != "3.1.0" || served.Paths.Len() != want.Paths.Len() || len(served.Webhooks) != len(want.Webhooks) {
		t.Errorf("served %s with %d paths and %d webhooks; docs/openapi.yaml has %d and %d",
			served.OpenAPI, served.Paths.Len(), len(served.Webhooks), want.Paths.Len(), len(want.Webhooks))
	}
	if served.Paths.Value(BasePath+"/extensions/click-number") == nil {
		t.Error("the served document lacks click-number")
	}
}
