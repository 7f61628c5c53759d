package esphooks_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"mailer/internal/esphooks"
	"mailer/internal/fault"
)

// recordingSink keeps the events applied; with fail set it refuses them as
// unavailable, as a busy database would.
type recordingSink struct {
	mu   sync.Mutex
	evs  []esphooks.Event
	fail bool
}

func (s *recordingSink) Apply(_ context.Context, ev esphooks.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		return fault.Errorf(fault.Unavailable, "database busy")
	}
	s.evs = append(s.evs, ev)
	return nil
}

func (s *recordingSink) events() []esphooks.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]esphooks.Event(nil), s.evs...)
}

func (s *recordingSink) setFail(v bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = v
}

// syncBuffer is the log, written by the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// hookServer is the Handler on a real socket on 127.0.0.1.
type hookServer struct {
	url  string
	sink *recordingSink
	log  *syncBuffer
}

func serveHooks(t *testing.T, ps ...esphooks.Provider) *hookServer {
	t.Helper()
	hs := &hookServer{sink: &recordingSink{}, log: &syncBuffer{}}
	h := esphooks.NewHandler(hs.sink, slog.New(slog.NewTextHandler(hs.log, nil)), ps...)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	hs.url = srv.URL + esphooks.Prefix
	return hs
}

// post sends body to /hooks/name with the headers and returns the status
// and the answer's body.
func (hs *hookServer) post(t *testing.T, name string, body []byte, header http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, hs.url+name, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, vs := range header {
		req.Header[k] = vs
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// kinds lists the events' kinds and recipients, for comparing.
func kinds(evs []esphooks.Event) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Kind.String()+" "+ev.Recipient)
	}
	return out
}
