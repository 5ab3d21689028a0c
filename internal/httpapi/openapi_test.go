package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gin-gonic/gin"

	"github.com/coocenter/coocenterd/docs"
	"github.com/coocenter/coocenterd/internal/recordings"
)

func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(docs.OpenAPI)
	if err != nil {
		t.Fatalf("docs/openapi.yaml: %v", err)
	}
	if err := doc.Validate(context.Background(), openapi3.EnableExamplesValidation()); err != nil {
		t.Fatalf("docs/openapi.yaml is not valid: %v", err)
	}
	return doc
}

// ginParam turns gin's /:name and /*name into OpenAPI's /{name}.
var ginParam = regexp.MustCompile(`/[:*]([A-Za-z]+)`)

// TestOpenAPICoversEveryRoute: every route the server registers, with every
// optional part on, is described in docs/openapi.yaml with its method, and
// the document describes no route the server lacks.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	doc := loadOpenAPI(t)
	env := newEnv(t, func(o *Options) {
		o.Metrics = http.NotFoundHandler()
		o.Push = &fakePush{}
		o.WrapUps = &fakeWrapUps{}
		o.Recordings = recordings.NewFolder(t.TempDir())
		o.Links = testLinks("a-link-secret-for-tests")
	})
	served := map[string]bool{}
	for _, r := range env.h.(*gin.Engine).Routes() {
		route := r.Method + " " + ginParam.ReplaceAllString(r.Path, "/{$1}")
		served[route] = true
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	var missing, extra []string
	for r := range served {
		if !documented[r] {
			missing = append(missing, r)
		}
	}
	for r := range documented {
		if !served[r] {
			extra = append(extra, r)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	for _, r := range missing {
		t.Errorf("route %s is not described in docs/openapi.yaml", r)
	}
	for _, r := range extra {
		t.Errorf("docs/openapi.yaml describes %s, which the server does not serve", r)
	}
	if len(served) < 30 {
		t.Errorf("only %d routes: the server was not built with every part", len(served))
	}
}

// TestOpenAPIExamples: every example (of a parameter, a request body, a
// response) validates against its schema, and every operation answers
// with at least one example.
func TestOpenAPIExamples(t *testing.T) {
	doc := loadOpenAPI(t)
	check := func(where string, schema *openapi3.SchemaRef, example any) {
		t.Helper()
		if schema == nil || schema.Value == nil || example == nil {
			return
		}
		// The loader keeps examples as YAML gave them; JSON is what a client sees.
		b, err := json.Marshal(example)
		if err != nil {
			t.Errorf("%s: example: %v", where, err)
			return
		}
		var v any
		_ = json.Unmarshal(b, &v)
		if err := schema.Value.VisitJSON(v, openapi3.MultiErrors(), openapi3.EnableJSONSchema2020()); err != nil {
			t.Errorf("%s: the example does not fit its schema: %v", where, err)
		}
	}
	examples := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			where := method + " " + path
			for _, p := range op.Parameters {
				if p.Value.Example != nil {
					check(where+" parameter "+p.Value.Name, p.Value.Schema, p.Value.Example)
					examples++
				}
			}
			if op.RequestBody != nil {
				for ct, mt := range op.RequestBody.Value.Content {
					check(where+" body "+ct, mt.Schema, mt.Example)
					examples++
				}
			}
			answered := false
			for code, resp := range op.Responses.Map() {
				for ct, mt := range resp.Value.Content {
					if mt.Example != nil {
						check(where+" "+code+" "+ct, mt.Schema, mt.Example)
						examples++
						if strings.HasPrefix(code, "2") {
							answered = true
						}
					}
					for name, ex := range mt.Examples {
						check(where+" "+code+" "+ct+" "+name, mt.Schema, ex.Value.Value)
						examples++
					}
				}
			}
			if !answered && !slices.Contains([]string{"/coocenter-api/openapi.json", "/coocenter-api/monitor/{filePath}"}, path) {
				t.Errorf("%s: no example of a success", where)
			}
		}
	}
	if examples < 100 {
		t.Errorf("only %d examples checked", examples)
	}
}

// TestOpenAPIExamplesCanFail: the example check catches an example that
// does not fit (so the test above can fail).
func TestOpenAPIExamplesCanFail(t *testing.T) {
	schema := openapi3.NewObjectSchema().WithProperty("status", &openapi3.Schema{Type: &openapi3.Types{"string"}, Const: "success"})
	schema.Required = []string{"status"}
	if err := schema.VisitJSON(map[string]any{"status": "error"}, openapi3.EnableJSONSchema2020()); err == nil {
		t.Error(`"status":"error" passed a schema whose status is const "success"`)
	}
}

// TestOpenAPIServed: GET /coocenter-api/openapi.json, without auth, is the
// document as JSON.
func TestOpenAPIServed(t *testing.T) {
	env := newEnv(t, func(o *Options) { o.WebKey = "secret" })
	w := env.do(req{method: http.MethodGet, target: BasePath + "/openapi.json"})
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("%d %s", w.Code, w.Header().Get("Content-Type"))
	}
	var doc struct {
		OpenAPI string         `json:"openapi"`
		Paths   map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil || doc.OpenAPI != "3.1.0" || doc.Paths[BasePath+"/extensions/click-number"] == nil {
		t.Errorf("not the document: %v %.200s", err, w.Body.String())
	}
}
