package inbound_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"mailer/internal/address"
	"mailer/internal/delivery"
	"mailer/internal/inbound"
	"mailer/internal/pgtest"
	"mailer/internal/smtpsend"
	"mailer/internal/smtptest"
	"mailer/internal/store"
	"mailer/internal/testwire"
	"mailer/internal/token"
)

const host = "lists.example.org"

type env struct {
	t      *testing.T
	db     *store.DB
	srv    *smtptest.Server
	h      *inbound.Handler
	signer *token.Signer
	seq    int
}

func newEnv(t *testing.T) *env {
	ctx := context.Background()
	db, err := store.Open(ctx, pgtest.Location(t, "m.db"), store.Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	from, owners := "Alexander <alex@example.org>", []string{"owner@example.org"}
	title := "BPF updates"
	if _, err := db.CreateList(ctx, "bpf-updates", store.ListSettings{Title: &title, From: &from, Owners: &owners}); err != nil {
		t.Fatal(err)
	}
	srv := smtptest.Start(t)
	tr, err := smtpsend.New(smtpsend.Options{Host: srv.Host, Port: srv.Port, TLS: smtpsend.TLSNone})
	if err != nil {
		t.Fatal(err)
	}
	w := testwire.Build(t, db, delivery.Outbox{Transport: tr}, testwire.Options{Owner: "owner@example.org",
		PerAddressHour: 10, MailPerHour: 500, WebPerHour: 200, BounceThreshold: 1, NotifyOwner: true})
	h, signer := w.Handler, w.Signer
	return &env{t: t, db: db, srv: srv, h: h, signer: signer}
}

// send delivers a command mail and returns the result.
func (e *env) send(rcpt, from, body string, headers ...string) inbound.Result {
	e.t.Helper()
	e.seq++
	extra := strings.Join(headers, "")
	if !strings.Contains(extra, "Subject:") {
		extra = "Subject: commands\r\n" + extra
	}
	raw := fmt.Sprintf("From: %s\r\nTo: %s\r\nMessage-ID: <m%d@example.org>\r\n%s\r\n%s",
		from, rcpt, e.seq, extra, strings.ReplaceAll(body, "\n", "\r\n"))
	sender := from
	if a, err := mail.ParseAddress(from); err == nil {
		sender = a.Address
	}
	res, err := e.h.Handle(context.Background(), inbound.Delivery{Recipient: rcpt, Sender: sender, SenderKnown: true, Raw: []byte(raw)})
	if err != nil {
		e.t.Fatalf("Handle(%s): %v", rcpt, err)
	}
	return res
}

// received is a mail the SMTP server accepted, decoded.
type received struct {
	To, Subject, ReplyTo, Body string
	Header                     mail.Header
}

func (e *env) mailsTo(addr string) []received {
	e.t.Helper()
	var out []received
	for _, m := range e.srv.Messages() {
		if !strings.EqualFold(m.To[0], addr) {
			continue
		}
		msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
		if err != nil {
			e.t.Fatalf("answer does not parse: %v", err)
		}
		body, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
		subj, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		out = append(out, received{To: m.To[0], Subject: subj, ReplyTo: msg.Header.Get("Reply-To"),
			Body: strings.ReplaceAll(string(body), "\r\n", "\n"), Header: msg.Header})
	}
	return out
}

func (e *env) status(addr string) store.Status {
	m, err := e.db.GetMember(context.Background(), listOf(e.t, e.db, "bpf-updates"), addr)
	if err != nil {
		return ""
	}
	return m.Status
}

var confirmAddr = regexp.MustCompile(`bpf-updates-confirm\+([a-z2-7]+)@lists\.example\.org`)

func TestSubscribeConfirmByReply(t *testing.T) {
	e := newEnv(t)
	e.send("majordomo@"+host, "Alice <alice@example.org>", "subscribe bpf-updates\nend\n")
	if st := e.status("alice@example.org"); st != store.Pending {
		t.Fatalf("status %q, want pending until confirmed", st)
	}
	// One mail, not two: the confirmation carries the answer.
	mails := e.mailsTo("alice@example.org")
	if len(mails) != 1 || !strings.HasPrefix(mails[0].Subject, "Confirm:") {
		t.Fatalf("alice got %d mails, want the confirmation alone: %+v", len(mails), mails)
	}
	conf := mails[0]
	if !strings.Contains(conf.Body, ">>>> subscribe bpf-updates\nThis mail is the confirmation request for alice@example.org: see above.") ||
		!strings.Contains(conf.Body, ">>>> end\nEND OF COMMANDS") || strings.Index(conf.Body, "To confirm") > strings.Index(conf.Body, ">>>>") {
		t.Fatalf("confirmation with the answer after it:\n%s", conf.Body)
	}
	for _, h := range []string{"Auto-Submitted", "X-Loop", "In-Reply-To", "References"} {
		if conf.Header.Get(h) == "" {
			t.Errorf("%s missing on the confirmation", h)
		}
	}
	m := confirmAddr.FindStringSubmatch(conf.ReplyTo)
	if m == nil || !strings.Contains(conf.Body, "https://lists.example.org/confirm/"+m[1]) || !strings.Contains(conf.Body, "confirm "+m[1]) {
		t.Fatalf("confirmation Reply-To %q body:\n%s", conf.ReplyTo, conf.Body)
	}
	if !strings.HasPrefix(conf.Header.Get("From"), "Alexander <alex@example.org>") {
		t.Errorf("confirmation From %q, want the list's", conf.Header.Get("From"))
	}
	// Replying to the confirmation confirms.
	e.send(conf.ReplyTo, "Alice <alice@example.org>", "> Someone asked to subscribe alice@example.org\n")
	if st := e.status("alice@example.org"); st != store.Active {
		t.Fatalf("status after confirming: %q", st)
	}
	log, _ := e.db.AuditLog(context.Background(), listOf(e.t, e.db, "bpf-updates"), "alice@example.org")
	if len(log) != 2 || log[0].MessageID != "<m1@example.org>" || log[1].MessageID != "<m2@example.org>" || log[1].Source != store.SourceEmail {
		t.Fatalf("audit: %+v", log)
	}
	// The code works once: used again while it still holds, it says so and
	// changes nothing; once alice has left, it is refused.
	e.send("majordomo@"+host, "alice@example.org", "confirm "+m[1]+"\n")
	last := e.mailsTo("alice@example.org")
	if body := last[len(last)-1].Body; !strings.Contains(body, "alice@example.org is subscribed to bpf-updates: this code was used already") {
		t.Fatalf("second use:\n%s", body)
	}
	a, _ := address.Parse("alice@example.org")
	e.db.SetStatus(context.Background(), listOf(e.t, e.db, "bpf-updates"), a, store.Unsubscribed, store.Evidence{Source: store.SourceAdmin})
	e.send("majordomo@"+host, "alice@example.org", "confirm "+m[1]+"\n")
	last = e.mailsTo("alice@example.org")
	if body := last[len(last)-1].Body; !strings.Contains(body, "already used") || e.status("alice@example.org") != store.Unsubscribed {
		t.Fatalf("use after leaving (%s):\n%s", e.status("alice@example.org"), body)
	}
}

func TestForgedSubscribeStaysPending(t *testing.T) {
	e := newEnv(t)
	e.send("majordomo@"+host, "mallory@example.net", "subscribe bpf-updates victim@example.com\n")
	if st := e.status("victim@example.com"); st != store.Pending {
		t.Fatalf("victim is %q", st)
	}
	toVictim, toMallory := e.mailsTo("victim@example.com"), e.mailsTo("mallory@example.net")
	if len(toVictim) != 1 || !strings.HasPrefix(toVictim[0].Subject, "Confirm:") || !strings.Contains(toVictim[0].Body, "The request came from mallory@example.net") {
		t.Fatalf("victim's mail: %+v", toVictim)
	}
	if len(toMallory) != 1 || confirmAddr.MatchString(toMallory[0].Body) || strings.Contains(toMallory[0].Body, "confirm ") {
		t.Fatalf("the requester must not see the code: %+v", toMallory)
	}
	// More requests within the interval send no more confirmations.
	e.send("majordomo@"+host, "mallory@example.net", "subscribe bpf-updates victim@example.com\n")
	if n := len(e.mailsTo("victim@example.com")); n != 1 {
		t.Fatalf("victim got %d confirmations", n)
	}
	// mallory learns nothing about victim's state: both answers read alike.
	answers := e.mailsTo("mallory@example.net")
	if answers[0].Body != answers[1].Body || !strings.Contains(answers[1].Body, "If victim@example.com is not yet on bpf-updates") {
		t.Fatalf("answers differ:\n%s\n----\n%s", answers[0].Body, answers[1].Body)
	}
}

func TestAlreadyActiveAndUnsubscribeByMail(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a, _ := address.Parse("bob@example.org")
	e.db.SetStatus(ctx, listOf(e.t, e.db, "bpf-updates"), a, store.Active, store.Evidence{Source: store.SourceAdmin})
	e.send("bpf-updates-request@"+host, "bob@example.org", "subscribe\n")
	mails := e.mailsTo("bob@example.org")
	if len(mails) != 1 || !strings.Contains(mails[0].Body, "already subscribed") {
		t.Fatalf("mails %+v", mails)
	}
	if from := mails[0].Header.Get("From"); from != "Alexander <alex@example.org>" {
		t.Fatalf("an answer from a list address comes from %q, want the list's From", from)
	}
	// The unsubscribe address acts whatever the body says, after confirmation.
	e.send("bpf-updates-unsubscribe@"+host, "bob@example.org", "please remove me\n")
	if st := e.status("bob@example.org"); st != store.Active {
		t.Fatalf("unsubscribed without confirmation: %q", st)
	}
	var conf received
	for _, m := range e.mailsTo("bob@example.org") {
		if strings.HasPrefix(m.Subject, "Confirm: unsubscribe") {
			conf = m
		}
	}
	tok := confirmAddr.FindStringSubmatch(conf.ReplyTo)
	if tok == nil {
		t.Fatalf("no unsubscribe confirmation: %+v", e.mailsTo("bob@example.org"))
	}
	e.send("majordomo@"+host, "bob@example.org", "confirm "+tok[1]+"\n")
	if st := e.status("bob@example.org"); st != store.Unsubscribed {
		t.Fatalf("after confirming: %q", st)
	}
}

func TestTokenUnsubscribeActsAtOnceWithoutAnswer(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a, _ := address.Parse("carol@example.org")
	e.db.SetStatus(ctx, listOf(e.t, e.db, "bpf-updates"), a, store.Active, store.Evidence{Source: store.SourceAdmin})
	m, _ := e.db.GetMember(ctx, listOf(e.t, e.db, "bpf-updates"), "carol@example.org")
	l, _ := e.db.GetList(ctx, "bpf-updates")
	tok := e.signer.Make(token.Membership{ListID: l.ID, SubscriberID: m.SubscriberID})
	// Mail providers' unsubscribe buttons send from the reader's address,
	// but the token alone proves the request.
	res := e.send("bpf-updates-unsubscribe+"+tok+"@"+host, "someone@example.net", "unsubscribe\n")
	if res.Outcome != inbound.Acted || e.status("carol@example.org") != store.Unsubscribed {
		t.Fatalf("result %+v, status %q", res, e.status("carol@example.org"))
	}
	if n := len(e.srv.Messages()); n != 0 {
		t.Fatalf("%d mails sent for a one-click unsubscribe", n)
	}
	// A tampered token does nothing.
	e.db.SetStatus(ctx, listOf(e.t, e.db, "bpf-updates"), a, store.Active, store.Evidence{Source: store.SourceAdmin})
	bad := tok[:len(tok)-1] + map[bool]string{true: "b", false: "a"}[strings.HasSuffix(tok, "a")]
	if res := e.send("bpf-updates-unsubscribe+"+bad+"@"+host, "x@example.net", "unsubscribe\n"); res.Outcome != inbound.Dropped {
		t.Fatalf("tampered token: %+v", res)
	}
	if e.status("carol@example.org") != store.Active {
		t.Fatal("a tampered token unsubscribed someone")
	}
}

func TestAutoGeneratedMailIsNeverAnswered(t *testing.T) {
	e := newEnv(t)
	for _, f := range []string{"vacation.eml", "bulk.eml", "list.eml", "daemon.eml", "loop.eml"} {
		raw, _ := os.ReadFile(filepath.Join("testdata", f))
		res, err := e.h.Handle(context.Background(), inbound.Delivery{Recipient: "majordomo@" + host, Sender: "alice@example.org", SenderKnown: true, Raw: raw})
		if err != nil || res.Outcome != inbound.Ignored {
			t.Errorf("%s: %+v %v, want ignored", f, res, err)
		}
	}
	raw, _ := os.ReadFile(filepath.Join("testdata", "plain.eml"))
	if res, _ := e.h.Handle(context.Background(), inbound.Delivery{Recipient: "majordomo@" + host, Sender: "", SenderKnown: true, Raw: raw}); res.Outcome != inbound.Ignored {
		t.Errorf("null envelope sender: %+v", res)
	}
	malformed, _ := os.ReadFile(filepath.Join("testdata", "malformed.eml"))
	if res, err := e.h.Handle(context.Background(), inbound.Delivery{Recipient: "majordomo@" + host, Sender: "a@example.org", SenderKnown: true, Raw: malformed}); err != nil || res.Outcome != inbound.Dropped {
		t.Errorf("malformed: %+v %v", res, err)
	}
	if n := len(e.srv.Messages()); n != 0 {
		t.Fatalf("%d answers to mail that must not be answered", n)
	}
	if st := e.status("alice@example.org"); st != "" {
		t.Fatalf("an auto-reply changed a membership: %q", st)
	}
}

func TestErrorsGoOnAndWhoIsForOwners(t *testing.T) {
	e := newEnv(t)
	e.send("majordomo@"+host, "dave@example.org", "subscribe nosuchlist\nfrobnicate\nlists\nwho bpf-updates\nhelp\n")
	body := e.mailsTo("dave@example.org")[0].Body
	for _, want := range []string{`There is no list named "nosuchlist"`, `Command "frobnicate" not recognized`, "bpf-updates", "Only the owners of bpf-updates", "subscribe LIST [ADDRESS]"} {
		if !strings.Contains(body, want) {
			t.Errorf("answer lacks %q:\n%s", want, body)
		}
	}
	ctx := context.Background()
	a, _ := address.Parse("member@example.org")
	e.db.SetStatus(ctx, listOf(e.t, e.db, "bpf-updates"), a, store.Active, store.Evidence{Source: store.SourceAdmin})
	// A forged owner's From with a Reply-To pointing elsewhere: the
	// answer there refuses, and holds no member.
	e.send("majordomo@"+host, "owner@example.org", "who bpf-updates\nwhich\n", "Reply-To: thief@example.net\r\n")
	if got := e.mailsTo("thief@example.net"); len(got) != 1 || strings.Contains(got[0].Body, "member@example.org") ||
		strings.Count(got[0].Body, "membership is told only to") != 2 {
		t.Fatalf("the member list went to a Reply-To: %+v", got)
	}
	e.send("majordomo@"+host, "owner@example.org", "who bpf-updates\n")
	if got := e.mailsTo("owner@example.org"); len(got) != 1 || !strings.Contains(got[0].Body, "member@example.org") {
		t.Fatalf("owner's answer: %+v", got)
	}
}

func TestAnswersAreCapped(t *testing.T) {
	e := newEnv(t)
	for range 13 {
		e.send("majordomo@"+host, "eve@example.org", "help\n")
	}
	if n := len(e.mailsTo("eve@example.org")); n != 10 {
		t.Fatalf("%d answers in an hour, want the cap of 10", n)
	}
}

func TestBouncesAreKeptNotAnswered(t *testing.T) {
	e := newEnv(t)
	raw := "From: MAILER-DAEMON@mx.example.net\r\nTo: x\r\nSubject: Undelivered\r\n\r\n550 no such user\r\n"
	res, err := e.h.Handle(context.Background(), inbound.Delivery{Recipient: "bpf-updates-bounces+frank=example.org@" + host, SenderKnown: true, Raw: []byte(raw)})
	if err != nil || res.Outcome != inbound.BounceStored || !strings.HasPrefix(res.Detail, "frank@example.org") {
		t.Fatalf("%+v %v", res, err)
	}
	if n, _ := e.db.CountBounces(context.Background(), "frank@example.org"); n != 1 || len(e.srv.Messages()) != 0 {
		t.Fatalf("bounces %d, mails %d", n, len(e.srv.Messages()))
	}
}

func TestPoliciesAndRecipients(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	open := store.PolicyOpen
	e.db.UpdateList(ctx, "bpf-updates", store.ListSettings{Policy: &open})
	e.send("majordomo@"+host, "gina@example.org", "subscribe bpf-updates\nsubscribe bpf-updates hal@example.org\n")
	if e.status("gina@example.org") != store.Active || e.status("hal@example.org") != store.Pending {
		t.Fatalf("open list: gina %q, hal %q", e.status("gina@example.org"), e.status("hal@example.org"))
	}
	closed := store.PolicyClosed
	e.db.UpdateList(ctx, "bpf-updates", store.ListSettings{Policy: &closed})
	e.send("majordomo@"+host, "ivan@example.org", "subscribe bpf-updates\n")
	if e.status("ivan@example.org") != "" || !strings.Contains(e.mailsTo("ivan@example.org")[0].Body, "closed") {
		t.Fatal("a closed list took a subscription by mail")
	}
	if _, err := e.h.Accept(ctx, "bpf-updates@"+host); err == nil {
		t.Fatal("a post to the announce-only list was accepted")
	}
	if _, err := e.h.Accept(ctx, "nolist-request@"+host); err == nil {
		t.Fatal("a request address of no list was accepted")
	}
	if _, err := e.h.Accept(ctx, "majordomo@elsewhere.org"); err == nil {
		t.Fatal("another domain was accepted")
	}
}

func TestBounceStopsMailAndTellsTheOwner(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a, _ := address.Parse("alice@example.org")
	e.db.SetStatus(ctx, listOf(e.t, e.db, "bpf-updates"), a, store.Active, store.Evidence{Source: store.SourceAdmin})
	raw, _ := os.ReadFile(filepath.Join("..", "bounce", "testdata", "own", "dsn-postfix-hard.eml"))
	res, err := e.h.Handle(ctx, inbound.Delivery{Recipient: "bpf-updates-bounces+alice=example.org@" + host, SenderKnown: true, Raw: raw})
	if err != nil || !strings.Contains(res.Detail, "mail stopped") {
		t.Fatalf("%+v %v", res, err)
	}
	if e.status("alice@example.org") != store.Bounced {
		t.Fatalf("status %q", e.status("alice@example.org"))
	}
	notes := e.mailsTo("owner@example.org")
	if len(notes) != 1 || !strings.Contains(notes[0].Body, "mailer subscribers reactivate bpf-updates alice@example.org") {
		t.Fatalf("owner notice: %+v", notes)
	}
	if len(e.mailsTo("alice@example.org")) != 0 || len(e.mailsTo("MAILER-DAEMON@mx1.example.net")) != 0 {
		t.Fatal("a bounce was answered")
	}
	// A vacation reply to the bounce address counts nothing.
	vac, _ := os.ReadFile(filepath.Join("..", "bounce", "testdata", "own", "vacation.eml"))
	b, _ := address.Parse("bob@example.org")
	e.db.SetStatus(ctx, listOf(e.t, e.db, "bpf-updates"), b, store.Active, store.Evidence{Source: store.SourceAdmin})
	e.h.Handle(ctx, inbound.Delivery{Recipient: "bpf-updates-bounces+bob=example.org@" + host, SenderKnown: true, Raw: vac})
	if e.status("bob@example.org") != store.Active {
		t.Fatal("a vacation reply counted as a bounce")
	}
}
