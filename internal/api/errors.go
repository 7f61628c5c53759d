package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"mailer/internal/fault"
	"mailer/internal/httperr"
	"mailer/internal/importing"
)

// ErrorBody is every error's answer: {"error": {"code", "message"}}. The
// code is the fault code (invalid, not_found, conflict, unavailable,
// internal, unauthenticated, forbidden) and is stable; the message is for
// people. Three answers have no fault behind them: method_not_allowed
// (405), too_large (413) and idempotency_mismatch (422).
type ErrorBody struct {
	Error ErrorInfo `json:"error"`
}

// ErrorInfo is the error itself.
type ErrorInfo struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	// Report is an import refused for its bad lines: the same report
	// `subscribers import --json` prints then.
	Report *importing.Report `json:"report,omitempty"`
}

// Codes of the answers no fault code covers.
const (
	codeMethod   = "method_not_allowed"
	codeTooLarge = "too_large"
	codeMismatch = "idempotency_mismatch"
)

// tooLarge is a body past its cap (413, RFC 9110 §15.5.14).
type tooLarge struct{ limit int64 }

func (e tooLarge) Error() string {
	return fmt.Sprintf("the request body is larger than %d bytes", e.limit)
}

// mismatch is an Idempotency-Key used again for another request (422, as
// the IETF's Idempotency-Key header draft says).
type mismatch struct{ key string }

func (e mismatch) Error() string {
	return fmt.Sprintf("Idempotency-Key %q was used for another request: use a new key for a new request", e.key)
}

// problem is the status and body err answers with. Only the message of a
// fault reaches the caller; anything else is "internal error" and logged.
func problem(err error) (int, ErrorBody) {
	var big tooLarge
	var mm mismatch
	switch {
	case errors.As(err, &big):
		return http.StatusRequestEntityTooLarge, ErrorBody{ErrorInfo{Code: codeTooLarge, Message: big.Error()}}
	case errors.As(err, &mm):
		return http.StatusUnprocessableEntity, ErrorBody{ErrorInfo{Code: codeMismatch, Message: mm.Error()}}
	}
	info := ErrorInfo{Code: string(fault.CodeOf(err)), Message: fault.MessageOf(err)}
	var bad *importing.BadLinesError
	if errors.As(err, &bad) {
		info.Report = reportOf(bad.Report)
	}
	return httperr.Status(err), ErrorBody{info}
}

// fail answers err: with WWW-Authenticate on a 401 (RFC 6750 §3) and
// Retry-After on a 503; a 500 is logged with the request's route.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, body := problem(err)
	h.header(w, status)
	if status == http.StatusInternalServerError {
		h.o.Logger.Error("api", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeJSON(w, status, body)
}

// header sets the headers an error status carries.
func (h *Handler) header(w http.ResponseWriter, status int) {
	switch status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="mailer"`)
	case http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", httperr.RetryAfter(status))
	}
}

func writeProblem(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, ErrorBody{ErrorInfo{Code: code, Message: message}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"internal error"}}`+"\n")
	}
	writeBody(w, status, b)
}

func writeBody(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

func marshal(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	return append(b, '\n'), err
}

// decode reads a JSON body into v: at most MaxBody bytes, no unknown
// field, and an error that names the field or the place that is wrong.
func (c *call) decode(v any) error {
	body := http.MaxBytesReader(c.w, c.r.Body, c.h.o.MaxBody)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("one JSON object, and nothing after it")
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var big *http.MaxBytesError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &big):
		return tooLarge{big.Limit}
	case errors.Is(err, io.EOF):
		return fault.Errorf(fault.Invalid, "the request needs a JSON body")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fault.Errorf(fault.Invalid, "the body is not JSON: it ends before its object does")
	case errors.As(err, &syn):
		return fault.Errorf(fault.Invalid, "the body is not JSON (at byte %d): %v", syn.Offset, syn)
	case errors.As(err, &typ):
		return fault.Errorf(fault.Invalid, "field %q: want a JSON %s, not %s", typ.Field, typ.Type.Kind(), typ.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return fault.Errorf(fault.Invalid, "unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return fault.Errorf(fault.Invalid, "the body is not what this request takes: %v", err)
}
