package api

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3gen"

	"mailer/internal/fault"
)

// Version is the API's version in its document.
const Version = "1.0.0"

// document builds the OpenAPI 3 document from the route table: each
// route's path, parameters and scope, and the schemas of its Go request
// and response types (openapi3gen), so that it cannot drift from the
// handlers as a hand-written one does.
func (h *Handler) document() ([]byte, error) {
	doc := &openapi3.T{
		OpenAPI: "3.0.3",
		Info: &openapi3.Info{Title: "mailer API", Version: Version,
			Description: "The owners' API of mailer, on the admin listener. Authenticate with Authorization: Bearer mlr_... (mailer tokens create)."},
		Paths: openapi3.NewPaths(),
		Components: &openapi3.Components{Schemas: openapi3.Schemas{}, SecuritySchemes: openapi3.SecuritySchemes{
			"bearer": &openapi3.SecuritySchemeRef{Value: openapi3.NewJWTSecurityScheme().WithBearerFormat("mlr_...")}}},
	}
	// A generator per type: one generator's later types lose the
	// components its earlier ones made when a customizer is set.
	schema := func(v any) (*openapi3.SchemaRef, error) {
		gen := openapi3gen.NewGenerator(openapi3gen.CreateComponentSchemas(openapi3gen.ExportComponentSchemasOptions{ExportComponentSchemas: true}),
			openapi3gen.SchemaCustomizer(strict))
		return gen.NewSchemaRefForValue(v, doc.Components.Schemas)
	}
	errRef, err := schema(ErrorBody{})
	if err != nil {
		return nil, err
	}
	for _, rt := range h.routes {
		op, err := rt.operation(schema, errRef)
		if err != nil {
			return nil, fault.Wrap(fault.Internal, err, "document %s %s", rt.method, rt.pattern)
		}
		item := doc.Paths.Value(rt.pattern)
		if item == nil {
			item = &openapi3.PathItem{}
			doc.Paths.Set(rt.pattern, item)
		}
		item.SetOperation(rt.method, op)
	}
	raw, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fault.Wrap(fault.Internal, err, "encode the API's OpenAPI document")
	}
	// Read back as any client reads it, so that its $refs are resolved
	// and checked.
	back, err := openapi3.NewLoader().LoadFromData(raw)
	if err == nil {
		err = back.Validate(context.Background())
	}
	if err != nil {
		return nil, fault.Wrap(fault.Internal, err, "the API's OpenAPI document")
	}
	return raw, nil
}

var pathParam = regexp.MustCompile(`\{([a-z]+)\}`)

// operation is the route's entry in the document.
func (rt *route) operation(schema func(any) (*openapi3.SchemaRef, error), errRef *openapi3.SchemaRef) (*openapi3.Operation, error) {
	op := &openapi3.Operation{OperationID: rt.id, Summary: rt.summary, Responses: openapi3.NewResponses()}
	for _, m := range pathParam.FindAllStringSubmatch(rt.pattern, -1) {
		op.AddParameter(openapi3.NewPathParameter(m[1]).WithRequired(true).WithSchema(openapi3.NewStringSchema()))
	}
	for _, q := range rt.query {
		s := &openapi3.Schema{Type: &openapi3.Types{q.kind}}
		op.AddParameter(openapi3.NewQueryParameter(q.name).WithDescription(q.desc).WithSchema(s))
	}
	switch {
	case rt.csv:
		op.RequestBody = &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().WithRequired(true).
			WithContent(openapi3.NewContentWithSchema(openapi3.NewStringSchema(), []string{"text/csv"}))}
	case rt.body != nil:
		ref, err := schema(rt.body)
		if err != nil {
			return nil, err
		}
		// A POST that takes options only may come without a body.
		op.RequestBody = &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().WithRequired(rt.method != http.MethodPost || len(ref.Value.Required) > 0 || ref.Ref != "").
			WithJSONSchemaRef(ref)}
	}
	if rt.method == http.MethodPost && rt.scope == scopeWrite {
		op.AddParameter(openapi3.NewHeaderParameter("Idempotency-Key").
			WithDescription("repeat the first answer to a retry of this request").WithSchema(openapi3.NewStringSchema()))
	}
	resp, err := schema(rt.resp)
	if err != nil {
		return nil, err
	}
	op.AddResponse(rt.status, openapi3.NewResponse().WithDescription(http.StatusText(rt.status)).WithJSONSchemaRef(resp))
	op.Responses.Set("default", &openapi3.ResponseRef{Value: openapi3.NewResponse().WithDescription("an error").WithJSONSchemaRef(errRef)})
	if rt.scope == scopePublic {
		op.Security = &openapi3.SecurityRequirements{}
	} else {
		op.Security = openapi3.NewSecurityRequirements().With(openapi3.NewSecurityRequirement().Authenticate("bearer"))
	}
	return op, nil
}

// strict makes each struct's schema say what encoding/json writes of it:
// a field without omitempty is always there (required), and nothing else
// is (additionalProperties false), so that the tests' validation of every
// answer catches a field added, renamed or left out.
func strict(_ string, t reflect.Type, _ reflect.StructTag, s *openapi3.Schema) error {
	if t.Kind() != reflect.Struct || s.Properties == nil {
		return nil
	}
	no := false
	s.AdditionalProperties = openapi3.AdditionalProperties{Has: &no}
	s.Required = requiredFields(t)
	return nil
}

// requiredFields are the JSON names of t's fields encoding/json always
// writes, through embedded structs as it does.
func requiredFields(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		tag, hasTag := f.Tag.Lookup("json")
		name, opts, _ := strings.Cut(tag, ",")
		if !f.IsExported() && !f.Anonymous || name == "-" {
			continue
		}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && !hasTag && ft.Kind() == reflect.Struct {
			if f.Type.Kind() == reflect.Struct { // a nil *T embedded writes none of T's fields
				out = append(out, requiredFields(ft)...)
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		if !strings.Contains(opts, "omitempty") && f.Type.Kind() != reflect.Pointer {
			out = append(out, name)
		}
	}
	return out
}

// openapi serves the document.
func (h *Handler) openapi(*call) (any, error) { return json.RawMessage(h.doc), nil }
