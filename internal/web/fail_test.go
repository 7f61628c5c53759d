package web

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"mailer/internal/fault"
)

// TestFailStatuses is the web edge's mapping of error codes to pages:
// Invalid 400, NotFound 404, Conflict 409, Unavailable 503 with
// Retry-After, anything else 500, each with its own page and none showing
// the error's text to the visitor.
func TestFailStatuses(t *testing.T) {
	s, err := New(nil, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		err   error
		code  int
		page  string
		retry string
	}{
		{fault.Errorf(fault.Invalid, "secret-detail"), 400, "does not work", ""},
		{fault.Errorf(fault.NotFound, "secret-detail"), 404, "Page not found", ""},
		{fault.Errorf(fault.Conflict, "secret-detail"), 409, "cannot be done now", ""},
		{fault.Errorf(fault.Unavailable, "secret-detail"), 503, "try again in a moment", "60"},
		{fault.Errorf(fault.Internal, "secret-detail"), 500, "went wrong on our side", ""},
		{errors.New("secret-detail"), 500, "went wrong on our side", ""},
	} {
		rec := httptest.NewRecorder()
		s.fail(rec, httptest.NewRequest(http.MethodGet, "/archive/x", nil), c.err)
		body := rec.Body.String()
		if rec.Code != c.code || !strings.Contains(body, c.page) || rec.Header().Get("Retry-After") != c.retry {
			t.Errorf("%v: %d (Retry-After %q)\n%s", c.err, rec.Code, rec.Header().Get("Retry-After"), body)
		}
		if strings.Contains(body, "secret-detail") {
			t.Errorf("%v: the page shows the error's text", c.err)
		}
	}
}
