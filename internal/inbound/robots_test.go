package inbound_test

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"mailer/internal/address"
	"mailer/internal/inbound"
	"mailer/internal/store"
)

// realBounces are the real bounce messages of the bounce corpus (see
// internal/bounce/testdata/README), with the addresses their publishers
// say failed.
func realBounces(t *testing.T) map[string][]string {
	out := map[string][]string{}
	for _, corpus := range []string{"flufl", "sisimai"} {
		dir := filepath.Join("..", "bounce", "testdata", corpus)
		f, err := os.Open(filepath.Join(dir, "expected.tsv"))
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			cols := strings.Split(sc.Text(), "\t")
			if len(cols) != 3 || strings.HasPrefix(cols[0], "#") {
				continue
			}
			var addrs []string
			if cols[1] == "failed" {
				addrs = strings.Fields(strings.ToLower(cols[2]))
			}
			out[filepath.Join(dir, cols[0])] = addrs
		}
		f.Close()
	}
	if len(out) < 130 {
		t.Fatalf("only %d corpus messages", len(out))
	}
	return out
}

// TestRealBouncesToCommandAddressesAreNeverAnswered pipes every real
// bounce of the corpus to majordomo@ and to LIST-request@, as an MTA that
// passes no envelope sender would: none is answered, none subscribes
// anyone, and those sent to LIST-request@ reach bounce processing.
func TestRealBouncesToCommandAddressesAreNeverAnswered(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for file := range realBounces(t) {
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, rcpt := range []string{"majordomo@" + host, "bpf-updates-request@" + host} {
			res, err := e.h.Handle(ctx, inbound.Delivery{Recipient: rcpt, Raw: raw})
			if err != nil {
				t.Fatalf("%s to %s: %v", file, rcpt, err)
			}
			if res.Outcome == inbound.Answered {
				t.Errorf("%s to %s was answered: %s", file, rcpt, res.Detail)
			}
		}
	}
	if n := len(e.srv.Messages()); n != 0 {
		t.Fatalf("%d answers went to robots", n)
	}
	var pending int
	for range e.db.Members(ctx, listOf(e.t, e.db, "bpf-updates"), store.Pending) {
		pending++
	}
	if pending != 0 {
		t.Fatalf("%d subscriptions started by bounces", pending)
	}
}

// TestRobotSendersAreNeverAnswered: the envelope and header marks of
// robots, each on an otherwise ordinary command mail.
func TestRobotSendersAreNeverAnswered(t *testing.T) {
	cmd := "From: %s\r\nTo: majordomo@" + host + "\r\nSubject: help\r\nMessage-ID: <r%d@example.net>\r\n%s\r\nsubscribe bpf-updates\r\n"
	cases := []struct {
		name, from, sender, headers string
		known                       bool
	}{
		{"postfix pipe null sender", "Mail Delivery System <MAILER-DAEMON@mx.example.net>", "MAILER-DAEMON", "", true},
		{"empty --sender", "Someone <someone@example.net>", "", "", true},
		{"daemon envelope, human From", "Jane Doe <jane@example.net>", "MAILER-DAEMON@mx.example.net", "", true},
		{"Return-Path MAILER-DAEMON", "Jane Doe <jane@example.net>", "", "Return-Path: <MAILER-DAEMON@mx.example.net>\r\n", false},
		{"digest from another list", "other-list-request@lists.example.com", "other-list-bounces@lists.example.com", "", true},
		{"owner- sender", "owner-linux-kernel@vger.example.org", "owner-linux-kernel@vger.example.org", "", true},
		{"-owner From", "staff-owner@example.com", "", "", false},
		{"postmaster", "postmaster@example.net", "postmaster@example.net", "", true},
		{"listserv", "LISTSERV@lists.example.edu", "", "", false},
		{"another majordomo", "majordomo@lists.example.edu", "", "", false},
		{"X-Failed-Recipients", "Jane <jane@example.net>", "", "X-Failed-Recipients: zed@example.net\r\n", false},
		{"multipart/report", "Jane <jane@example.net>", "", "Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n", false},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			raw := strings.Replace(strings.Replace(strings.Replace(cmd, "%s", c.from, 1), "%d", string(rune('a'+i)), 1), "%s", c.headers, 1)
			res, err := e.h.Handle(context.Background(), inbound.Delivery{Recipient: "majordomo@" + host, Sender: c.sender,
				SenderKnown: c.known, Raw: []byte(raw)})
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome == inbound.Answered || len(e.srv.Messages()) != 0 {
				t.Fatalf("answered: %+v", res)
			}
		})
	}
}

// TestVERPIsAuthoritative: a real bounce sent to a member's VERP address
// counts for that member, whatever address its text names; a delay
// warning counts for nobody; an unreadable message to a VERP address is
// kept and counts soft.
func TestVERPIsAuthoritative(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	credited := 0
	files := 0
	for file, addrs := range realBounces(t) {
		if len(addrs) != 1 {
			continue
		}
		files++
		raw, _ := os.ReadFile(file)
		member := "m" + strings.ToLower(strings.TrimSuffix(filepath.Base(file), ".txt")) + "@example.org"
		member = strings.ReplaceAll(member, "_", "-")
		a, _ := address.Parse(member)
		e.db.SetStatus(ctx, listOf(e.t, e.db, "bpf-updates"), a, store.Active, store.Evidence{Source: store.SourceAdmin})
		local, domain, _ := strings.Cut(member, "@")
		res, err := e.h.Handle(ctx, inbound.Delivery{Recipient: "bpf-updates-bounces+" + local + "=" + domain + "@" + host,
			SenderKnown: true, Raw: raw})
		if err != nil {
			t.Fatal(err)
		}
		if scoreOf(t, e, member) > 0 {
			credited++
		} else {
			t.Errorf("%s: not credited to %s: %s", file, member, res.Detail)
		}
	}
	if credited != files {
		t.Fatalf("%d of %d single-address bounces credited to their VERP member", credited, files)
	}
	for name, raw := range map[string]string{
		"delay": "From: MAILER-DAEMON@mx.example.net\r\nSubject: Warning: could not send message for past 4 hours\r\n\r\n" +
			"This is a warning message only.\r\nThe following address has not yet been delivered: zoe@example.org\r\nWill keep trying.\r\n",
		"unreadable": "From: someone@example.net\r\nSubject: hello\r\n\r\nwhat is this list?\r\n",
	} {
		member := name + "@example.org"
		a, _ := address.Parse(member)
		e.db.SetStatus(ctx, listOf(e.t, e.db, "bpf-updates"), a, store.Active, store.Evidence{Source: store.SourceAdmin})
		if _, err := e.h.Handle(ctx, inbound.Delivery{Recipient: "bpf-updates-bounces+" + name + "=example.org@" + host,
			SenderKnown: true, Raw: []byte(raw)}); err != nil {
			t.Fatal(err)
		}
		score := scoreOf(t, e, member)
		want := map[string]float64{"delay": 0, "unreadable": 0.5}[name]
		if score != want {
			t.Errorf("%s: score %v, want %v", name, score, want)
		}
	}
}

func scoreOf(t *testing.T, e *env, member string) float64 {
	infos, err := e.db.Bounces(context.Background(), listOf(e.t, e.db, "bpf-updates"))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range infos {
		if b.Address == member {
			return b.Score
		}
	}
	return 0
}
