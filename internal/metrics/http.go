package metrics

import (
	"net/http"
	"strconv"
	"time"
)

// HTTP wraps h, the handler of a listener ("web" or "admin"), so that each
// request counts by route and status code. The route is the pattern of the
// ServeMux that served it (Request.Pattern, e.g. "GET /u/{token}"), never
// the raw path, which holds tokens and would make a series per reader. The
// innermost mux's pattern is seen as long as the handlers in between pass
// the request on as it is; one that copies it (WithContext) leaves the
// outer mux's pattern, still a pattern. A request no pattern matched
// counts as "unmatched".
func (m *Metrics) HTTP(listener string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			// Counted even when h panics (the server recovers it): the
			// client got an error.
			p := recover()
			code := sw.code
			switch {
			case code == 0 && p != nil:
				code = http.StatusInternalServerError
			case code == 0:
				code = http.StatusOK
			}
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			m.httpRequests.WithLabelValues(listener, route, strconv.Itoa(code)).Inc()
			m.httpDurations.WithLabelValues(listener, route).Observe(time.Since(start).Seconds())
			if p != nil {
				panic(p)
			}
		}()
		h.ServeHTTP(sw, r)
	})
}

// statusWriter remembers the status code written.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer
// (flushing, deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
