package esphooks

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"mailer/internal/httperr"
)

// Prefix is where the hooks are mounted: /hooks/NAME.
const Prefix = "/hooks/"

// MaxBody is the largest webhook body read. SendGrid batches up to a few
// hundred events (well under 1 MiB); SNS messages are at most 256 KiB.
const MaxBody = 4 << 20

// Handler serves /hooks/NAME for the configured providers.
type Handler struct {
	providers map[string]Provider
	sink      Sink
	log       *slog.Logger
}

// NewHandler mounts providers, handing their events to sink.
func NewHandler(sink Sink, log *slog.Logger, providers ...Provider) *Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{providers: map[string]Provider{}, sink: sink, log: log}
	for _, p := range providers {
		h.providers[p.Name()] = p
	}
	return h
}

// Names lists the mounted providers.
func (h *Handler) Names() []string {
	var out []string
	for n := range h.providers {
		out = append(out, n)
	}
	return out
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutPrefix(r.URL.Path, Prefix)
	p := h.providers[name]
	if !ok || p == nil {
		// A hook not configured does not exist: nothing says which are.
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		h.log.Warn("webhook refused", "provider", name, "reason", "body unreadable or too large", "remote", r.RemoteAddr)
		http.Error(w, "request body too large or unreadable", http.StatusRequestEntityTooLarge)
		return
	}
	events, err := p.Events(r, body)
	if err != nil {
		h.refuse(w, r, name, err)
		return
	}
	for _, ev := range events {
		err := h.sink.Apply(r.Context(), ev)
		switch {
		case err == nil:
			h.log.Info("webhook event applied", "provider", name, "kind", ev.Kind.String(), "recipient", ev.Recipient, "id", ev.ID)
		case httperr.Status(err) < 500:
			// Ours to refuse (no such member, a list gone): taking it
			// again would fail again, so it is logged and skipped.
			h.log.Warn("webhook event not applied", "provider", name, "kind", ev.Kind.String(), "recipient", ev.Recipient, "error", err)
		default:
			h.failed(w, r, p, body, ev, err)
			return
		}
	}
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, "ok\n")
}

// refuse answers a request that did not verify or parse. The reason is
// logged (our own words, never a secret or a signature) and told.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, name string, err error) {
	status := httperr.Status(err)
	switch {
	case errors.Is(err, errUnauthenticated):
		status = http.StatusUnauthorized
		w.Header().Set("WWW-Authenticate", `Basic realm="mailer webhooks"`)
	case errors.Is(err, errForbidden):
		status = http.StatusForbidden
	}
	h.log.Warn("webhook refused", "provider", name, "status", status, "reason", err.Error(), "remote", r.RemoteAddr)
	http.Error(w, err.Error(), status)
}

// failed answers a verified request whose events could not all be applied:
// 503 or 500, so that the provider retries (every provider here does on a
// non-2xx answer); the events before are applied again then, which the
// Sink takes as the same event.
func (h *Handler) failed(w http.ResponseWriter, r *http.Request, p Provider, body []byte, ev Event, err error) {
	if f, ok := p.(Forgetter); ok {
		f.Forget(r, body)
	}
	status := httperr.Status(err)
	h.log.Error("webhook event not applied", "provider", p.Name(), "kind", ev.Kind.String(), "recipient", ev.Recipient, "error", err)
	if ra := httperr.RetryAfter(status); ra != "" {
		w.Header().Set("Retry-After", ra)
	}
	http.Error(w, "could not apply the events; try again later", status)
}
