package api

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"

	"mailer/internal/fault"
	"mailer/internal/store"
)

// answer runs the route's handler and marshals what it returns.
func (h *Handler) answer(c *call, rt *route) (int, []byte, error) {
	v, err := rt.handle(c)
	if err != nil {
		return 0, nil, err
	}
	b, err := marshal(v)
	if err != nil {
		return 0, nil, fault.Wrap(fault.Internal, err, "encode the answer")
	}
	return rt.status, b, nil
}

// maxKey bounds the keys kept.
const maxKey = 255

// idempotent runs a POST that carries an Idempotency-Key (the IETF's
// Idempotency-Key header draft, after Stripe's): the first request with
// the key runs and its answer is kept for a day; a retry with the same
// request gets that answer again, status and body, without running; the
// same key with another request is refused (422), and a retry while the
// first still runs is a conflict (409). A key is the caller's own: two
// tokens never share one.
func (h *Handler) idempotent(c *call, rt *route) {
	if k := c.r.Header.Get("Idempotency-Key"); len(k) > maxKey {
		h.fail(c.w, c.r, fault.Errorf(fault.Invalid, "an Idempotency-Key is at most %d characters (a UUID is 36)", maxKey))
		return
	}
	limit := h.o.MaxBody
	if rt.csv {
		limit = h.o.MaxUpload
	}
	// The body is read whole to be compared with the first request's: an
	// upload with a key is held in memory (MaxUpload at most), one
	// without streams.
	body, err := io.ReadAll(http.MaxBytesReader(c.w, c.r.Body, limit))
	var big *http.MaxBytesError
	if errors.As(err, &big) {
		h.fail(c.w, c.r, tooLarge{big.Limit})
		return
	}
	if err != nil {
		h.fail(c.w, c.r, fault.Wrap(fault.Invalid, err, "read the request body"))
		return
	}
	c.r.Body = io.NopCloser(bytes.NewReader(body))
	sum := sha256.Sum256(append([]byte(c.r.Method+" "+c.r.URL.RequestURI()+"\n"), body...))
	key := store.Idempotent{Caller: c.who.Operator(), Key: c.r.Header.Get("Idempotency-Key"),
		Method: c.r.Method, Path: c.r.URL.Path, RequestHash: hex.EncodeToString(sum[:])}
	db := h.o.DB
	first, claimed, err := db.ClaimIdempotency(c.ctx, key)
	switch {
	case err != nil:
		h.fail(c.w, c.r, err)
		return
	case !claimed && first.RequestHash != key.RequestHash:
		h.fail(c.w, c.r, mismatch{key.Key})
		return
	case !claimed && first.Status == 0:
		h.fail(c.w, c.r, fault.Errorf(fault.Conflict, "the first request with Idempotency-Key %q is still running: ask again later", key.Key))
		return
	case !claimed:
		c.w.Header().Set("Idempotent-Replayed", "true")
		writeBody(c.w, first.Status, first.Body)
		return
	}
	c.claimed = &key
	status, out, err := h.answer(c, rt)
	c.claimed = nil
	if err != nil {
		var eb ErrorBody
		status, eb = problem(err)
		if status >= 500 {
			// A failure that asking again may mend is not kept: the
			// retry runs afresh.
			db.ReleaseIdempotency(c.ctx, key.Caller, key.Key)
			h.fail(c.w, c.r, err)
			return
		}
		h.header(c.w, status)
		out, _ = marshal(eb)
	}
	if err := db.FinishIdempotency(c.ctx, key.Caller, key.Key, status, out); err != nil {
		h.o.Logger.Error("api: keep the idempotent answer", "path", c.r.URL.Path, "err", err)
	}
	writeBody(c.w, status, out)
}
