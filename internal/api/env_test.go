package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	adminlistener "mailer/internal/admin"
	"mailer/internal/api"
	"mailer/internal/app"
	"mailer/internal/config"
	"mailer/internal/delivery"
	"mailer/internal/pgtest"
	"mailer/internal/smtpsend"
	"mailer/internal/smtptest"
	"mailer/internal/store"
	"mailer/internal/testwire"
)

// TestMain runs every test on SQLite, then on PostgreSQL, and says how
// many requests were checked against the document.
func TestMain(m *testing.M) {
	code := pgtest.Main(m)
	fmt.Printf("%d requests and their answers checked against the OpenAPI document\n", checked.Load())
	os.Exit(code)
}

// checked counts the requests validated with their answers.
var checked atomic.Int64

// The tests' token secrets, made afresh for each env by the auth
// service: a site-wide writer and reader, a writer for the list news only,
// and a revoked one.
var admin, reader, news, revoked string

// env is the app graph as testwire builds it on a real store (SQLite, or
// PostgreSQL on that run), with an issues directory holding issue-06, an
// SMTP server as the relay, and the API on a real socket behind a client
// that checks every request and answer against the OpenAPI document.
type env struct {
	t     *testing.T
	app   *app.App
	db    *store.DB
	loc   string // the database's file or URL
	relay *smtptest.Server
	api   *api.Handler
	url   string
	check *checker
}

func newEnv(t *testing.T) *env {
	t.Helper()
	loc := pgtest.Location(t, "api.db")
	db, err := store.Open(context.Background(), loc, store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	relay := smtptest.Start(t)
	tr, err := smtpsend.New(smtpsend.Options{Host: relay.Host, Port: relay.Port, TLS: smtpsend.TLSNone})
	if err != nil {
		t.Fatal(err)
	}
	w := testwire.Build(t, db, delivery.Outbox{Transport: tr}, testwire.Options{Owner: "owner@example.org"})
	dir := t.TempDir()
	src, err := os.ReadFile("../render/testdata/issue-06.md")
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, "issues"), 0o755)
	if err := os.WriteFile(filepath.Join(dir, "issues", "issue-06.md"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := w.App.Config
	cfg.Dir, cfg.Transport.Kind, cfg.Rate.PerSecond = dir, "smtp", 0
	cfg.SMTP.Host, cfg.SMTP.Port, cfg.SMTP.TLS = relay.Host, relay.Port, config.TLSNone
	tokens := w.App.Auth
	e0 := &env{t: t, db: db}
	e0.list("news") // a list's token names its list
	mk := func(name, scope, list string) string {
		secret, err := tokens.CreateToken(context.Background(), name, scope, list, store.Evidence{Source: store.SourceAdmin, Operator: "test"})
		if err != nil {
			t.Fatal(err)
		}
		return secret
	}
	admin, reader, news, revoked = mk("admin", "write", ""), mk("reader", "read", ""), mk("news-bot", "write", "news"), mk("old", "write", "")
	if err := tokens.RevokeToken(context.Background(), "old", store.Evidence{Source: store.SourceAdmin, Operator: "test"}); err != nil {
		t.Fatal(err)
	}
	// The owners' listener as mailer serve mounts it.
	parts, err := w.App.Admin()
	if err != nil {
		t.Fatal(err)
	}
	h, ok := parts.API.(*api.Handler)
	if !ok {
		t.Fatalf("the admin listener's API is %T", parts.API)
	}
	srv := httptest.NewServer(adminlistener.Handler(parts))
	t.Cleanup(srv.Close)
	e := &env{t: t, app: w.App, db: db, loc: loc, relay: relay, api: h, url: srv.URL}
	e.check = newChecker(t, e.rawDoc())
	return e
}

// rawDoc fetches the document over the socket, without a token.
func (e *env) rawDoc() []byte {
	e.t.Helper()
	resp, err := http.Get(e.url + "/api/v1/openapi.json")
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		e.t.Fatalf("openapi.json: %d %s", resp.StatusCode, b)
	}
	return b
}

// reply is an answer: status, headers and the JSON body decoded.
type reply struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.Body, &v); err != nil {
		t.Fatalf("not a JSON object (%d): %v\n%s", r.Status, err, r.Body)
	}
	return v
}

func (r reply) code(t *testing.T) string {
	t.Helper()
	e, _ := r.json(t)["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

// req is one request.
type req struct {
	method, path, token string
	body                any // a string is sent as it is, anything else as JSON
	header              map[string]string
	// offDoc is a request the document does not describe on purpose (an
	// unknown path, a wrong method, a broken body): only its answer is
	// checked against the error schema where the path is known.
	offDoc bool
}

func (e *env) do(r req) reply {
	e.t.Helper()
	var body io.Reader
	ctype := "application/json"
	switch b := r.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		j, _ := json.Marshal(b)
		body = bytes.NewReader(j)
	}
	hr, err := http.NewRequest(r.method, e.url+r.path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		hr.Header.Set("Content-Type", ctype)
	}
	if r.token != "" {
		hr.Header.Set("Authorization", "Bearer "+r.token)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	if r.offDoc {
		hr = hr.WithContext(context.WithValue(hr.Context(), offDocKey{}, true))
	}
	resp, err := (&http.Client{Transport: e.check, Timeout: time.Minute}).Do(hr)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

type offDocKey struct{}

// checker is the client's RoundTripper: it validates each request and
// each answer against the OpenAPI document (openapi3filter), and counts.
type checker struct {
	t      *testing.T
	router routers.Router
}

func newChecker(t *testing.T, raw []byte) *checker {
	doc, err := openapi3.NewLoader().LoadFromData(raw)
	if err != nil {
		t.Fatalf("load the document: %v", err)
	}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatalf("route the document: %v", err)
	}
	return &checker{t: t, router: router}
}

func (c *checker) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	offDoc, _ := r.Context().Value(offDocKey{}).(bool)
	route, params, findErr := c.router.FindRoute(r)
	if findErr != nil && !offDoc {
		c.t.Errorf("%s %s is not in the document: %v", r.Method, r.URL.Path, findErr)
	}
	var in *openapi3filter.RequestValidationInput
	if findErr == nil {
		vr := r.Clone(context.Background())
		vr.Body = io.NopCloser(bytes.NewReader(body))
		in = &openapi3filter.RequestValidationInput{Request: vr, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true}}
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil && !offDoc {
			c.t.Errorf("request %s %s does not match the document: %v", r.Method, r.URL.Path, err)
		}
	}
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil || in == nil {
		return resp, err
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(out))
	err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header, Body: io.NopCloser(bytes.NewReader(out)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true}})
	if err != nil {
		c.t.Errorf("answer %d to %s %s does not match the document: %v\n%s", resp.StatusCode, r.Method, r.URL.Path, err, out)
	}
	checked.Add(1)
	return resp, nil
}

func init() {
	// A member file is text: the document says so, and the check reads it so.
	openapi3filter.RegisterBodyDecoder("text/csv", func(body io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
		b, err := io.ReadAll(body)
		return string(b), err
	})
}

// list makes a list with a From address, so that it can be sent to (news
// is there from the start).
func (e *env) list(name string) *store.List {
	e.t.Helper()
	if l, err := e.db.GetList(context.Background(), name); err == nil {
		return l
	}
	from := "Editor <editor@example.org>"
	l, err := e.db.CreateList(context.Background(), name, store.ListSettings{From: &from})
	if err != nil {
		e.t.Fatal(err)
	}
	return l
}

// count is how many members the list has, whatever their status.
func (e *env) count(list string) int {
	e.t.Helper()
	l, err := e.db.GetList(context.Background(), list)
	if err != nil {
		e.t.Fatal(err)
	}
	n := 0
	for _, c := range l.Counts {
		n += c
	}
	return n
}
