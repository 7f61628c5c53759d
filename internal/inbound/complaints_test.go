package inbound_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"mailer/internal/address"
	"mailer/internal/inbound"
	"mailer/internal/listaddr"
	"mailer/internal/store"
	"mailer/internal/testwire"
	"mailer/internal/token"
)

// yahooReport is Yahoo's real CFL report (the bounce corpus, Sisimai's
// p5 arf-02) with its reported message replaced by original: the report
// part and the envelope are Yahoo's own.
func yahooReport(t *testing.T, original string) []byte {
	raw, err := os.ReadFile("../bounce/testdata/arf/sisimai-p5-arf-02.eml")
	if err != nil {
		t.Fatal(err)
	}
	head, _, ok := strings.Cut(string(raw), "Content-Type: message/rfc822\n\n")
	if !ok {
		t.Fatal("fixture changed")
	}
	return []byte(head + "Content-Type: message/rfc822\n\n" + original + "\n--_----------=F000000000000000000000--\n")
}

// ourOriginal is the header of an issue as mailer sends it to addr (see
// render.Prepared.appendHeaders and sending's composer), with parts left
// out by drop and the address replaced everywhere by redactAs when set, as
// AOL does.
func ourOriginal(book listaddr.Book, tok, addr, msgID, redactAs string, drop ...string) string {
	lines := []string{
		"Return-Path: <" + book.VERP("bpf-updates", addr) + ">",
		"From: Alexander <alex@example.org>",
		"To: " + addr,
		"Subject: BPF updates 06",
		"Message-ID: <" + msgID + ">",
		"List-Id: BPF updates <" + book.ListID("bpf-updates") + ">",
		"List-Unsubscribe: <" + book.UnsubscribeURL(tok) + ">,\n <mailto:" + book.TokenUnsubscribe("bpf-updates", tok) + "?subject=unsubscribe>",
		"X-Mailer-Member: " + tok,
		"Feedback-ID: s7:bpf-updates:issue:mailer",
		"Precedence: bulk",
	}
	var keep []string
	for _, l := range lines {
		name, _, _ := strings.Cut(l, ":")
		if !contains(drop, name) {
			keep = append(keep, l)
		}
	}
	out := strings.Join(keep, "\n") + "\n\nHello\n"
	if redactAs != "" {
		local, domain, _ := strings.Cut(addr, "@")
		out = strings.ReplaceAll(out, local+"="+domain, redactAs+"="+domain)
		out = strings.ReplaceAll(out, addr, redactAs+"@"+domain)
	}
	return out
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if strings.EqualFold(x, y) {
			return true
		}
	}
	return false
}

// Every way a report names the member stops exactly that member, at each
// address a report arrives at, also with the address redacted; nobody is
// answered, and the complaint is audited and counted.
func TestComplaintsStopTheMember(t *testing.T) {
	all := []string{"Return-Path", "List-Unsubscribe", "X-Mailer-Member", "Message-ID", "To"}
	cases := []struct {
		name, rcpt, redact string
		keep               string // the one way left in the original
	}{
		{"member id, redacted, at complaints@", "complaints@" + host, "redacted", "X-Mailer-Member"},
		{"unsubscribe token, redacted, at the site bounces", "mailer-bounces@" + host, "redacted", "List-Unsubscribe"},
		{"VERP return path, at complaints@", "complaints@" + host, "", "Return-Path"},
		{"plain list bounces, address named", "bpf-updates-bounces@" + host, "", "To"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			ctx := context.Background()
			l := listOf(t, e.db, "bpf-updates")
			addr := "carol@example.net"
			for _, a := range []string{addr, "dave@example.net"} {
				if _, err := e.db.SetStatus(ctx, l, mustAddr(t, a), store.Active, store.Evidence{Source: store.SourceAdmin, Operator: "t"}); err != nil {
					t.Fatal(err)
				}
			}
			m, _ := e.db.GetMember(ctx, l, addr)
			tok := e.signer.Make(token.Membership{ListID: l.ID, SubscriberID: m.SubscriberID})
			var drop []string
			for _, h := range all {
				if h != c.keep {
					drop = append(drop, h)
				}
			}
			orig := ourOriginal(testwire.Book, tok, addr, "x"+string(rune('a'+i))+"@elsewhere.example", c.redact, drop...)
			res, err := e.h.Handle(ctx, inbound.Delivery{Recipient: c.rcpt, SenderKnown: true, Raw: yahooReport(t, orig)})
			if err != nil || res.Outcome != inbound.BounceStored || !strings.Contains(res.Detail, "complained") {
				t.Fatalf("%+v %v", res, err)
			}
			checkComplained(t, e, l, addr, "dave@example.net")
		})
	}
}

func checkComplained(t *testing.T, e *env, l *store.List, addr, other string) {
	t.Helper()
	ctx := context.Background()
	if m, _ := e.db.GetMember(ctx, l, addr); m == nil || m.Status != store.Complained {
		t.Fatalf("%s is %+v, want complained", addr, m)
	}
	if m, _ := e.db.GetMember(ctx, l, other); m.Status != store.Active {
		t.Fatalf("%s is %s: a complaint stopped someone else", other, m.Status)
	}
	log, _ := e.db.AuditLog(ctx, l, addr)
	last := log[len(log)-1]
	if last.NewStatus != store.Complained || !strings.Contains(last.Reason, "abuse") || !strings.Contains(last.Reason, "yahoo") {
		t.Fatalf("audit: %+v", last)
	}
	if n, _ := e.db.ComplaintCounts(ctx); n["bpf-updates"] != 1 {
		t.Fatalf("complaints counted: %v", n)
	}
	if got := e.srv.Messages(); len(got) != 0 {
		t.Fatalf("a complaint was answered: %d mail(s), first to %v", len(got), got[0].To)
	}
}

// A report about mail that is not ours, or a DMARC failure report, is kept
// and stops nobody; the site's bounce address takes mail in, never "no
// list named mailer".
func TestReportsThatAreNoComplaintOfOurs(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, f := range []string{"sisimai-p5-arf-02.eml", "sisimai-arf-07.eml", "sisimai-arf-13.eml", "sendgrid-aol-scomp.eml"} {
		raw, err := os.ReadFile("../bounce/testdata/arf/" + f)
		if err != nil {
			t.Fatal(err)
		}
		for _, rcpt := range []string{"complaints@" + host, "mailer-bounces@" + host, "bpf-updates-bounces@" + host} {
			res, err := e.h.Handle(ctx, inbound.Delivery{Recipient: rcpt, SenderKnown: true, Raw: raw})
			if err != nil || res.Outcome != inbound.BounceStored || strings.Contains(res.Detail, "complained") {
				t.Fatalf("%s to %s: %+v %v", f, rcpt, res, err)
			}
		}
	}
	if n, _ := e.db.ComplaintCounts(ctx); len(n) != 0 || len(e.srv.Messages()) != 0 {
		t.Fatalf("complaints %v, mails %d", n, len(e.srv.Messages()))
	}
	if _, err := e.h.Accept(ctx, "mailer-bounces@"+host); err != nil {
		t.Fatalf("the site's bounce address is refused: %v", err)
	}
}

func mustAddr(t *testing.T, s string) address.Address {
	a, err := address.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
