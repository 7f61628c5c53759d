package optin_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"mailer/internal/fault"
	"mailer/internal/optin"
	"mailer/internal/store"
	"mailer/internal/testwire"
)

func owner(reason string) store.Evidence {
	return store.Evidence{Source: store.SourceAdmin, Operator: "alex", Reason: reason}
}

// TestOwnerAddAfterLeaving: someone who left withdrew their consent. An
// owner's add is refused, changing nothing, unless forced; forced, it is
// on the record as such.
func TestOwnerAddAfterLeaving(t *testing.T) {
	e := newEnv(t, testwire.Options{})
	owners := optin.NewOwners(e.db)
	e.set("ann@example.org", store.Active)
	e.set("ann@example.org", store.Unsubscribed)
	leftAt := e.now
	e.now = e.now.Add(48 * time.Hour)
	rows := e.auditLen("ann@example.org")

	out, err := owners.Add(e.ctx, e.list, []string{"ann@example.org"}, "", false, owner("added by an owner"))
	if err != nil || len(out) != 1 {
		t.Fatalf("%+v %v", out, err)
	}
	r := out[0]
	if !errors.Is(r.Err, optin.ErrConsentWithdrawn) || fault.CodeOf(r.Err) != fault.Conflict || r.Changed ||
		r.From != store.Unsubscribed || !r.LeftAt.Equal(leftAt) || !strings.Contains(r.Err.Error(), "2026-11-26 10:00 UTC") {
		t.Fatalf("without force: %+v", r)
	}
	if e.status("ann@example.org") != store.Unsubscribed || e.auditLen("ann@example.org") != rows {
		t.Fatalf("a refused add changed ann: %q", e.status("ann@example.org"))
	}

	out, err = owners.Add(e.ctx, e.list, []string{"ann@example.org"}, "", true, owner("added by an owner"))
	if err != nil || out[0].Err != nil || !out[0].Changed || out[0].From != store.Unsubscribed || e.status("ann@example.org") != store.Active {
		t.Fatalf("with force: %+v %v, status %q", out, err, e.status("ann@example.org"))
	}
	log, _ := e.db.AuditLog(e.ctx, e.list, "ann@example.org")
	last := log[len(log)-1]
	if len(log) != rows+1 || last.Operator != "alex" || last.Source != store.SourceAdmin ||
		!strings.HasPrefix(last.Reason, "added by an owner; re-added with --force") || !strings.Contains(last.Reason, "consent withdrawn") {
		t.Fatalf("audit %+v", log)
	}
}

// TestOwnerBatch: one bad address does not stop a batch; removing someone
// who never joined is refused rather than inventing a membership; a
// second add or remove changes nothing.
func TestOwnerBatch(t *testing.T) {
	e := newEnv(t, testwire.Options{})
	owners := optin.NewOwners(e.db)
	out, err := owners.Add(e.ctx, e.list, []string{"bob@example.org", "not an address", "bob@example.org"}, "", false, owner("added"))
	if err != nil || len(out) != 3 {
		t.Fatalf("%+v %v", out, err)
	}
	if out[0].Err != nil || !out[0].Changed || out[0].To != store.Active || out[1].Err == nil || out[2].Err != nil || out[2].Changed {
		t.Fatalf("add: %+v", out)
	}
	out, err = owners.Remove(e.ctx, e.list, []string{"bob@example.org", "nobody@example.org", "bob@example.org"}, owner("asked by phone"))
	if err != nil || len(out) != 3 {
		t.Fatalf("%+v %v", out, err)
	}
	if out[0].Err != nil || !out[0].Changed || out[0].From != store.Active || fault.CodeOf(out[1].Err) != fault.NotFound || out[2].Changed {
		t.Fatalf("remove: %+v", out)
	}
	if e.status("nobody@example.org") != "" || e.status("bob@example.org") != store.Unsubscribed {
		t.Fatalf("nobody %q, bob %q", e.status("nobody@example.org"), e.status("bob@example.org"))
	}
	log, _ := e.db.AuditLog(e.ctx, e.list, "bob@example.org")
	if len(log) != 2 || log[1].Reason != "asked by phone" || log[1].Operator != "alex" {
		t.Fatalf("audit %+v", log)
	}
}
