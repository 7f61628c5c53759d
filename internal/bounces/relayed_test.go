package bounces_test

import (
	"slices"
	"testing"
	"time"

	"mailer/internal/bounces"
	"mailer/internal/fault"
	"mailer/internal/listaddr"
	"mailer/internal/store"
	"mailer/internal/token"
)

// TestRelayedReports: a relay's events act as the same reports by mail
// would, whichever echo finds the member (token, VERP, recipient); a
// complainer is never moved again by a later unsubscribe or bounce; an
// event about nobody of ours is NotFound and changes nothing; no event is
// answered.
func TestRelayedReports(t *testing.T) {
	e := newEnv(t, store.BouncePolicy{Threshold: 1, Window: 30 * 24 * time.Hour})
	signer, err := token.NewSigner("0123456789abcdef0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	e.svc.Identify(listaddr.New(host, "https://"+host, nil), signer)
	for _, a := range []string{"ann@example.net", "bob@example.net", "cy@example.net", "dee@example.net"} {
		e.join("news", a, store.Active)
	}
	l := listOf(t, e.db, "news")
	annTok := signer.Make(token.Membership{ListID: l.ID, SubscriberID: e.member("news", "ann@example.net").SubscriberID})
	steps := []struct {
		r    bounces.Relayed
		who  string
		want store.Status
	}{
		{bounces.Relayed{Kind: bounces.RelayedComplaint, Token: annTok, Recipient: "redacted@example.net"}, "ann@example.net", store.Complained},
		{bounces.Relayed{Kind: bounces.RelayedUnsubscribe, Token: annTok}, "ann@example.net", store.Complained},
		{bounces.Relayed{Kind: bounces.RelayedHard, Token: annTok}, "ann@example.net", store.Complained},
		{bounces.Relayed{Kind: bounces.RelayedHard, List: "news", VERP: "bob@example.net", Recipient: "bob@example.net"}, "bob@example.net", store.Bounced},
		{bounces.Relayed{Kind: bounces.RelayedUnsubscribe, List: "news", Recipient: "cy@example.net"}, "cy@example.net", store.Unsubscribed},
		{bounces.Relayed{Kind: bounces.RelayedSoft, List: "news", Recipient: "dee@example.net"}, "dee@example.net", store.Active},
	}
	for i, s := range steps {
		s.r.Provider = "testrelay"
		if err := e.svc.Relayed(e.ctx, s.r); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if got := e.member("news", s.who).Status; got != s.want {
			t.Errorf("step %d: %s is %s, want %s", i, s.who, got, s.want)
		}
	}
	if sc := e.score("news", "dee@example.net"); sc != 0.5 {
		t.Errorf("soft bounce scored %v, want 0.5", sc)
	}
	for _, r := range []bounces.Relayed{
		{Kind: bounces.RelayedComplaint, List: "news", Recipient: "stranger@example.net"},
		{Kind: bounces.RelayedComplaint, Recipient: "dee@example.net"}, // no list named: not guessed
		{Kind: bounces.RelayedComplaint, Token: "tampered" + annTok[8:], Recipient: "x@example.net"},
	} {
		if err := e.svc.Relayed(e.ctx, r); fault.CodeOf(err) != fault.NotFound {
			t.Errorf("%+v: err %v, want NotFound", r, err)
		}
	}
	if got := e.member("news", "dee@example.net").Status; got != store.Active {
		t.Errorf("dee moved by a report that named no list: %s", got)
	}
	if n := len(e.srv.Messages()); n != len(owners) {
		t.Errorf("%d mails sent, want only the owners' notices of bob's bounce (%d)", n, len(owners))
	}
	for _, m := range e.srv.Messages() {
		if !slices.Contains(owners, m.To[0]) {
			t.Errorf("a relayed event was answered: mail to %s", m.To[0])
		}
	}
}
