// Package httperr maps mailer's error codes to HTTP statuses, for every
// HTTP edge alike (the web pages, the API): the one table, so that a page
// and an API call answer the same error the same way.
package httperr

import (
	"net/http"

	"mailer/internal/fault"
)

// statuses is the mapping (RFC 9110 §15). Unavailable is 503 so that a
// client comes back (with Retry-After); Internal is 500: a bug, which
// asking again does not fix.
var statuses = map[fault.Code]int{
	fault.Invalid:     http.StatusBadRequest,
	fault.NotFound:    http.StatusNotFound,
	fault.Conflict:    http.StatusConflict,
	fault.Unavailable: http.StatusServiceUnavailable,
	fault.Internal:    http.StatusInternalServerError,
	// RFC 9110 §15.5.2 and §15.5.4: 401 asks for credentials, 403 says
	// that others would not help.
	fault.Unauthenticated: http.StatusUnauthorized,
	fault.Forbidden:       http.StatusForbidden,
}

// Status is the HTTP status for err (200 for nil).
func Status(err error) int {
	if err == nil {
		return http.StatusOK
	}
	if s, ok := statuses[fault.CodeOf(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// RetryAfter is the Retry-After value, in seconds, to send with status, or
// "" when the client should not simply try again.
func RetryAfter(status int) string {
	if status == http.StatusServiceUnavailable {
		return "60"
	}
	return ""
}
