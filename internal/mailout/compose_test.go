package mailout_test

import (
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"mailer/internal/fault"
	"mailer/internal/mailout"
	"mailer/internal/store"
)

// TestAnswerReachesMaildir: an answer handed to Send is in the Maildir as
// a message any reader parses: the envelope, the list's From with its
// name RFC 2047-encoded, the headers of a reply and of automatic mail,
// and the body, quoted-printable, as written.
func TestAnswerReachesMaildir(t *testing.T) {
	e := newEnv(t)
	out, dir := toMaildir(t)
	m := e.mailer(out, mailout.Caps{})
	subject := "Re: Abonnement à « Weekly » confirmé — merci, et à bientôt dans votre boîte"
	body := "Bonjour Zoë,\n\nvotre abonnement est confirmé. " + strings.Repeat("Une ligne très longue ", 8) + "\n\n-- \nmajordomo\n"
	msg, err := m.Compose(mailout.Header{From: m.ListFrom(e.list), To: "reader@bücher.example", Subject: subject,
		ReplyTo: book.Request("weekly"), InReplyTo: "<q1@reader.example>", References: "<q0@reader.example> <q1@reader.example>"}, body)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Send(e.ctx, store.BudgetMail, book.Bounces("weekly"), "reader@example.org", msg); err != nil {
		t.Fatal(err)
	}
	got, raw := delivered(t, dir)
	h := got.Header
	for name, want := range map[string]string{
		"Return-Path": "<weekly-bounces@lists.example.org>", "Delivered-To": "reader@example.org",
		"To":       "reader@xn--bcher-kva.example", // the domain as A-labels
		"Reply-To": "weekly-request@lists.example.org", "In-Reply-To": "<q1@reader.example>",
		"References":     "<q0@reader.example> <q1@reader.example>",
		"Auto-Submitted": "auto-replied", // RFC 3834 section 5
		"X-Loop":         "mailer@lists.example.org", "MIME-Version": "1.0",
	} {
		if h.Get(name) != want {
			t.Errorf("%s: %q, want %q", name, h.Get(name), want)
		}
	}
	from, err := mail.ParseAddress(h.Get("From"))
	if err != nil || from.Name != "Éditions Zoë" || from.Address != "zoe@news.example.com" {
		t.Errorf("From %q: %+v, %v", h.Get("From"), from, err)
	}
	if dec, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject")); err != nil || dec != subject || !strings.Contains(h.Get("Subject"), "=?utf-8?") {
		t.Errorf("Subject %q decodes to %q (%v)", h.Get("Subject"), dec, err)
	}
	if d, err := h.Date(); err != nil || !d.Equal(e.now) {
		t.Errorf("Date %q: %v, %v; want %v", h.Get("Date"), d, err, e.now)
	}
	if id := h.Get("Message-ID"); !regexp.MustCompile(`^<[0-9a-f]{32}@lists\.example\.org>$`).MatchString(id) {
		t.Errorf("Message-ID %q", id)
	}
	for _, name := range []string{"List-Id", "List-Unsubscribe", "List-Unsubscribe-Post", "List-Archive"} {
		if _, ok := h[name]; ok {
			t.Errorf("%s in mail about no membership", name)
		}
	}
	checkBody(t, got, body)
	checkWire(t, raw)
}

// checkBody: a single text/plain part in UTF-8, quoted-printable, that
// decodes to what was written (with CRLF line ends).
func checkBody(t *testing.T, m *mail.Message, want string) {
	t.Helper()
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "text/plain" || params["charset"] != "utf-8" {
		t.Errorf("Content-Type %q: %v", m.Header.Get("Content-Type"), err)
	}
	if cte := m.Header.Get("Content-Transfer-Encoding"); cte != "quoted-printable" {
		t.Fatalf("Content-Transfer-Encoding %q", cte)
	}
	b, err := io.ReadAll(quotedprintable.NewReader(m.Body))
	if err != nil || string(b) != strings.ReplaceAll(want, "\n", "\r\n") {
		t.Errorf("body %q (%v), want %q", b, err, want)
	}
}

// checkWire: the message is 7-bit, its lines end in CRLF and stay within
// 78 characters (RFC 5322 section 2.1.1; RFC 2045's 76 for the body).
func checkWire(t *testing.T, raw []byte) {
	t.Helper()
	for i, line := range strings.Split(strings.TrimSuffix(string(raw), "\r\n"), "\r\n") {
		if len(line) > 78 || strings.ContainsAny(line, "\r\n") {
			t.Errorf("line %d: %d characters or a bare line end: %q", i+1, len(line), line)
		}
		for _, c := range []byte(line) {
			if c >= 0x80 {
				t.Fatalf("line %d is not ASCII: %q", i+1, line)
			}
		}
	}
}

// TestListHeaders: mail about a membership carries the list headers, as
// received over SMTP: List-Id (RFC 2919), List-Unsubscribe with the
// one-click URL and the mailto (RFC 2369, RFC 8058), List-Archive.
func TestListHeaders(t *testing.T) {
	e := newEnv(t)
	out, srv := toSMTP(t)
	m := e.mailer(out, mailout.Caps{})
	msg, err := m.Compose(mailout.Header{From: m.ListFrom(e.list), To: "reader@example.org", Subject: "Welcome",
		ListID: `"Weekly news" <weekly.lists.example.org>`, ListUnsubscribeURL: "https://lists.example.org/u/TOKEN",
		ListUnsubscribeMailto: "weekly-unsubscribe+TOKEN@lists.example.org", ListArchive: "https://lists.example.org/archive/weekly"}, "Hello\n")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Send(e.ctx, store.BudgetMail, book.Bounces("weekly"), "reader@example.org", msg); err != nil {
		t.Fatal(err)
	}
	got := srv.Messages()
	if len(got) != 1 || got[0].From != "weekly-bounces@lists.example.org" || !reflect.DeepEqual(got[0].To, []string{"reader@example.org"}) {
		t.Fatalf("the relay got %+v", got)
	}
	h := parse(t, got[0].Data).Header
	for name, want := range map[string]string{
		"List-Id":               `"Weekly news" <weekly.lists.example.org>`,
		"List-Unsubscribe":      "<https://lists.example.org/u/TOKEN>, <mailto:weekly-unsubscribe+TOKEN@lists.example.org?subject=unsubscribe>",
		"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
		"List-Archive":          "<https://lists.example.org/archive/weekly>",
		"Subject":               "Welcome", // ASCII stays as it is
		"Auto-Submitted":        "auto-replied",
		"Feedback-Id":           ":weekly:membership:mailer", // Gmail's Feedback Loop: list and mail type
	} {
		if h.Get(name) != want {
			t.Errorf("%s: %q, want %q", name, h.Get(name), want)
		}
	}
	checkWire(t, got[0].Data)
}

// TestHeaderInjection: a line break in any header value would let it add
// headers of its own (a Bcc); Compose refuses it, whichever field.
func TestHeaderInjection(t *testing.T) {
	m := newEnv(t).mailer(nil, mailout.Caps{})
	typ := reflect.TypeOf(mailout.Header{})
	for i := range typ.NumField() {
		for _, brk := range []string{"\r\n", "\n", "\r"} {
			var h mailout.Header
			reflect.ValueOf(&h).Elem().Field(i).SetString("x" + brk + "Bcc: victim@example.net")
			msg, err := m.Compose(h, "body")
			if fault.CodeOf(err) != fault.Invalid || msg != nil {
				t.Errorf("%s with %q: %v, %d bytes", typ.Field(i).Name, brk, err, len(msg))
			}
		}
	}
}

// Every mail of mailer's own carries Gmail's Feedback-ID with its mail
// type: the type given, or one told from the mail; no send, and no list
// for mail about none.
func TestFeedbackID(t *testing.T) {
	m := newEnv(t).mailer(nil, mailout.Caps{})
	for _, c := range []struct {
		h    mailout.Header
		want string
	}{
		{mailout.Header{To: "a@example.org", Type: "confirm", ListID: "<news.lists.example.org>"}, ":news:confirm:mailer"},
		{mailout.Header{To: "a@example.org", InReplyTo: "<x@example.org>"}, "::answer:mailer"},
		{mailout.Header{To: "a@example.org", ListID: "<news.elsewhere.example>"}, "::notice:mailer"},
	} {
		msg, err := m.Compose(c.h, "body")
		if err != nil {
			t.Fatal(err)
		}
		if got := parse(t, msg).Header.Get("Feedback-ID"); got != c.want {
			t.Errorf("%+v: Feedback-ID %q, want %q", c.h, got, c.want)
		}
	}
}
