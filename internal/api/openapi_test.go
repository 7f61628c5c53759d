package api_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/legacy"
)

// TestDocumentHasEveryRoute: every route of the table is an operation of
// the document, with its bearer security unless public, and the document
// has no other.
func TestDocumentHasEveryRoute(t *testing.T) {
	e := newEnv(t)
	doc, err := openapi3.NewLoader().LoadFromData(e.rawDoc())
	if err != nil {
		t.Fatal(err)
	}
	// The checker validates what goes through it: an answer that breaks
	// the document is reported, one that keeps it is counted.
	before := checked.Load()
	e.list("news")
	e.do(req{method: "GET", path: "/api/v1/lists/news/members", token: reader})
	if checked.Load() != before+1 {
		t.Fatalf("the request was not checked (%d -> %d)", before, checked.Load())
	}
	routes := e.api.Routes()
	ops := 0
	for _, item := range doc.Paths.Map() {
		ops += len(item.Operations())
	}
	if ops != len(routes) || len(routes) < 17 {
		t.Errorf("%d operations in the document, %d routes", ops, len(routes))
	}
	for _, rt := range routes {
		method, pattern, _ := strings.Cut(rt, " ")
		item := doc.Paths.Value(pattern)
		if item == nil || item.GetOperation(method) == nil {
			t.Errorf("%s is not in the document", rt)
			continue
		}
		op := item.GetOperation(method)
		public := pattern == "/api/v1/openapi.json"
		if secured := op.Security != nil && len(*op.Security) > 0; secured == public {
			t.Errorf("%s: security %v", rt, op.Security)
		}
		if op.Responses.Default() == nil {
			t.Errorf("%s documents no error answer", rt)
		}
	}
	// The schemas are the Go types': a member's fields, required as
	// encoding/json always writes them.
	m := doc.Components.Schemas["Member"]
	if m == nil || m.Value.Properties["address"] == nil || !contains(m.Value.Required, "status") || contains(m.Value.Required, "reason") {
		t.Errorf("Member schema: %+v", m)
	}
}

// TestDocumentRefusesDrift: an answer with a field left out, or one the
// types do not have, does not match the document, so the checker of every
// test's answers would fail it.
func TestDocumentRefusesDrift(t *testing.T) {
	e := newEnv(t)
	doc, _ := openapi3.NewLoader().LoadFromData(e.rawDoc())
	router, _ := legacy.NewRouter(doc)
	r, _ := http.NewRequest("GET", e.url+"/api/v1/lists", nil)
	route, params, err := router.FindRoute(r)
	if err != nil {
		t.Fatal(err)
	}
	in := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route}
	for body, drifts := range map[string]bool{
		`{"items": []}`:              false,
		`{"items": [], "total": 1}`:  true,
		`{"items": [{"name": "x"}]}`: true,
		`{"items": [{"name": 5}]}`:   true,
		`{"lists": []}`:              true,
	} {
		err := openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{RequestValidationInput: in,
			Status: 200, Header: http.Header{"Content-Type": {"application/json"}}, Body: io.NopCloser(strings.NewReader(body))})
		if (err != nil) != drifts {
			t.Errorf("%s: %v", body, err)
		}
	}
}

func contains(xs []string, x string) bool {
	for _, s := range xs {
		if s == x {
			return true
		}
	}
	return false
}
