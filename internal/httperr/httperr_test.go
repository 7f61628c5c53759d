package httperr

import (
	"errors"
	"fmt"
	"net/http"
	"testing"

	"mailer/internal/fault"
)

func TestStatus(t *testing.T) {
	for _, c := range []struct {
		err   error
		want  int
		retry string
	}{
		{nil, http.StatusOK, ""},
		{fault.Errorf(fault.Invalid, "bad address"), http.StatusBadRequest, ""},
		{fault.Errorf(fault.NotFound, "no list"), http.StatusNotFound, ""},
		{fault.Errorf(fault.Conflict, "already"), http.StatusConflict, ""},
		{fault.Errorf(fault.Unavailable, "busy"), http.StatusServiceUnavailable, "60"},
		{fault.Errorf(fault.Internal, "bug"), http.StatusInternalServerError, ""},
		{fault.Errorf(fault.Unauthenticated, "no token"), http.StatusUnauthorized, ""},
		{fault.Errorf(fault.Forbidden, "read token"), http.StatusForbidden, ""},
		{errors.New("uncoded"), http.StatusInternalServerError, ""},
		{fmt.Errorf("wrapped: %w", fault.Errorf(fault.Conflict, "x")), http.StatusConflict, ""},
		{&fault.Error{Code: "made-up"}, http.StatusInternalServerError, ""},
	} {
		got := Status(c.err)
		if got != c.want || RetryAfter(got) != c.retry {
			t.Errorf("Status(%v) = %d (Retry-After %q), want %d (%q)", c.err, got, RetryAfter(got), c.want, c.retry)
		}
	}
}

// Every code has its own status: a new code must be given one here.
func TestEveryCodeMapped(t *testing.T) {
	for _, c := range []fault.Code{fault.Invalid, fault.NotFound, fault.Conflict, fault.Unavailable, fault.Internal, fault.Unauthenticated, fault.Forbidden} {
		if _, ok := statuses[c]; !ok {
			t.Errorf("%s has no HTTP status", c)
		}
	}
}
