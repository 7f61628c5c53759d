package api

import (
	"context"
	"net/http"
	"strings"

	"mailer/internal/auth"
	"mailer/internal/fault"
	"mailer/internal/store"
)

// scope is what a route asks of the caller.
type scope int

const (
	scopePublic scope = iota // no token: the OpenAPI document
	scopeRead                // any valid token
	scopeWrite               // a write token; the route changes something
)

// route is one row of the table: what the OpenAPI document says of it and
// the handler that answers it.
type route struct {
	method, pattern string // pattern as net/http's ServeMux reads it; {list} is a list the caller must see
	id, summary     string // operationId and one line for the document
	scope           scope
	// body is a value of the request body's type (nil: none); csv says the
	// body is a text/csv upload instead of JSON.
	body  any
	csv   bool
	query []param
	// status and resp are the success answer and a value of its type.
	status int
	resp   any
	handle func(*call) (any, error)
}

// param is a query parameter.
type param struct {
	name, desc string
	kind       string // "string", "integer" or "boolean"
}

// call is one request on its way through a route.
type call struct {
	ctx  context.Context
	r    *http.Request
	w    http.ResponseWriter
	h    *Handler
	who  auth.Principal
	list *store.List // resolved from {list}, which the caller may see
	// claimed is the Idempotency-Key this request holds while it runs.
	claimed *store.Idempotent
}

// evidence is the audit record's who for a change made through the API.
func (c *call) evidence(source store.Source, reason string) store.Evidence {
	return store.Evidence{Source: source, Operator: c.who.Operator(), Reason: reason}
}

// serve runs a route: authenticate, check the scope, resolve the list,
// then the handler (once per Idempotency-Key), and answer.
func (h *Handler) serve(rt *route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &call{ctx: r.Context(), r: r, w: w, h: h}
		defer func() {
			if v := recover(); v != nil {
				if c.claimed != nil { // a retry runs afresh, not into "still running"
					h.o.DB.ReleaseIdempotency(context.WithoutCancel(c.ctx), c.claimed.Caller, c.claimed.Key)
				}
				h.fail(w, r, fault.Recovered(v))
			}
		}()
		if err := h.admit(c, rt); err != nil {
			h.fail(w, r, err)
			return
		}
		if rt.method == http.MethodPost && r.Header.Get("Idempotency-Key") != "" {
			h.idempotent(c, rt)
			return
		}
		status, body, err := h.answer(c, rt)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		writeBody(w, status, body)
	})
}

// admit authenticates the caller and checks what the route asks: a write
// token for a change (403 otherwise, before anything is looked up, so the
// answer names nothing), and a list the caller may see (404 otherwise,
// as for a list that does not exist, so names do not leak).
func (h *Handler) admit(c *call, rt *route) error {
	if rt.scope == scopePublic {
		return nil
	}
	secret, ok := bearer(c.r)
	if !ok {
		return fault.Errorf(fault.Unauthenticated, "send a token: Authorization: Bearer mlr_... (mailer tokens create)")
	}
	who, err := h.o.Auth.Bearer(c.ctx, secret)
	if err != nil {
		return err
	}
	c.who = who
	if rt.scope == scopeWrite && !who.Write {
		return fault.Errorf(fault.Forbidden, "token %s is read-only: it may look, never change", who.Token)
	}
	if name := c.r.PathValue("list"); strings.Contains(rt.pattern, "{list}") {
		if c.list, err = c.visibleList(name); err != nil {
			return err
		}
		if rt.scope == scopeWrite {
			return who.CanChange(name)
		}
	}
	return nil
}

// visibleList is the list named name, or the NotFound a list that does
// not exist gets when the caller may not see it.
func (c *call) visibleList(name string) (*store.List, error) {
	if !c.who.CanSee(name) {
		return nil, fault.Errorf(fault.NotFound, "no list named %q", name)
	}
	return c.h.o.DB.GetList(c.ctx, name)
}

// bearer reads the token of an Authorization header (RFC 6750 §2.1; the
// scheme is case-insensitive, RFC 9110 §11.1).
func bearer(r *http.Request) (string, bool) {
	scheme, secret, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	secret = strings.TrimSpace(secret)
	if !ok || !strings.EqualFold(scheme, "Bearer") || secret == "" {
		return "", false
	}
	return secret, true
}
