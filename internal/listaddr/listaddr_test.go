package listaddr

import (
	"strings"
	"testing"

	"mailer/internal/fault"
)

var book = New("lists.example.org", "https://news.example.org/", []string{"majordomo", "mj"})

func TestParse(t *testing.T) {
	tests := []struct {
		rcpt      string
		kind      Kind
		list, tok string
		verp      string
		notOurs   bool
	}{
		{rcpt: "majordomo@lists.example.org", kind: KindCommands},
		{rcpt: "Majordomo@LISTS.example.org", kind: KindCommands},
		{rcpt: "<mj@lists.example.org>", kind: KindCommands},
		{rcpt: "bpf-updates-request@lists.example.org", kind: KindRequest, list: "bpf-updates"},
		{rcpt: "bpf-updates-subscribe@lists.example.org", kind: KindSubscribe, list: "bpf-updates"},
		{rcpt: "bpf-updates-join@lists.example.org", kind: KindSubscribe, list: "bpf-updates"},
		{rcpt: "bpf-updates-unsubscribe@lists.example.org", kind: KindUnsubscribe, list: "bpf-updates"},
		{rcpt: "bpf-updates-leave@lists.example.org", kind: KindUnsubscribe, list: "bpf-updates"},
		{rcpt: "bpf-updates-confirm+abc234@lists.example.org", kind: KindConfirm, list: "bpf-updates", tok: "abc234"},
		{rcpt: "bpf-updates-unsubscribe+tok@lists.example.org", kind: KindTokenUnsubscribe, list: "bpf-updates", tok: "tok"},
		{rcpt: "bpf-updates-bounces+alice=example.org@lists.example.org", kind: KindBounce, list: "bpf-updates", verp: "alice@example.org"},
		{rcpt: "bpf-updates-bounces+Alice.B=x=y.example.org@lists.example.org", kind: KindBounce, list: "bpf-updates", verp: "Alice.B=x@y.example.org"},
		{rcpt: "bpf-updates-bounces@lists.example.org", kind: KindBounce, list: "bpf-updates"},
		{rcpt: "bpf-updates-bounces+junk@lists.example.org", kind: KindBounce, list: "bpf-updates"},
		{rcpt: "bpf-updates@lists.example.org", kind: KindPost, list: "bpf-updates"},
		{rcpt: "mailer-bounces@lists.example.org", kind: KindSiteBounces},
		{rcpt: "Complaints@lists.example.org", kind: KindComplaints},
		{rcpt: "complaints+yahoo@lists.example.org", kind: KindComplaints},
		{rcpt: "bpf-updates-confirm@lists.example.org", notOurs: true},
		{rcpt: "bpf-updates-request+x@lists.example.org", notOurs: true},
		{rcpt: "majordomo+x@lists.example.org", notOurs: true},
		{rcpt: "majordomo@elsewhere.example.org", notOurs: true},
		{rcpt: "no-at-sign", notOurs: true},
	}
	for _, tt := range tests {
		r, err := book.Parse(tt.rcpt)
		if tt.notOurs {
			if fault.CodeOf(err) != fault.NotFound {
				t.Errorf("%s: %+v %v, want not ours", tt.rcpt, r, err)
			}
			continue
		}
		if err != nil || r.Kind != tt.kind || r.List != tt.list || r.Token != tt.tok || r.VERP != tt.verp {
			t.Errorf("%s: %+v %v", tt.rcpt, r, err)
		}
	}
}

// TestAddressRoundTrip: every address the Book builds parses back to what
// it was built from.
func TestAddressRoundTrip(t *testing.T) {
	for _, list := range []string{"bpf-updates", "a", "weekly.news", "x_y"} {
		for _, c := range []struct {
			addr string
			want Route
		}{
			{book.Commands(), Route{Kind: KindCommands}},
			{book.Post(list), Route{Kind: KindPost, List: list}},
			{book.Request(list), Route{Kind: KindRequest, List: list}},
			{book.Subscribe(list), Route{Kind: KindSubscribe, List: list}},
			{book.Unsubscribe(list), Route{Kind: KindUnsubscribe, List: list}},
			{book.Bounces(list), Route{Kind: KindBounce, List: list}},
			{book.VERP(list, "Carol.O-Neil+news@Example.ORG"), Route{Kind: KindBounce, List: list, VERP: "Carol.O-Neil+news@example.org"}},
			// An internationalised domain goes out as A-labels and comes
			// back as the member is stored; a non-ASCII local part gets the
			// plain bounce address (no SMTPUTF8 needed for the sender).
			{book.VERP(list, "ann@exämple.org"), Route{Kind: KindBounce, List: list, VERP: "ann@exämple.org"}},
			{book.VERP(list, "zoë@exämple.org"), Route{Kind: KindBounce, List: list}},
			{book.VERP(list, `"odd one"@example.org`), Route{Kind: KindBounce, List: list}},
			{book.Confirm(list, "abcdefghijklmnopqrstuvwx"), Route{Kind: KindConfirm, List: list, Token: "abcdefghijklmnopqrstuvwx"}},
			{book.TokenUnsubscribe(list, "aaaa-bbbb_cccc"), Route{Kind: KindTokenUnsubscribe, List: list, Token: "aaaa-bbbb_cccc"}},
			{string(book.AppendTokenUnsubscribe(nil, list, "t0k")), Route{Kind: KindTokenUnsubscribe, List: list, Token: "t0k"}},
		} {
			got, err := book.Parse(c.addr)
			if err != nil || got != c.want {
				t.Errorf("%s parsed as %+v %v, want %+v", c.addr, got, err, c.want)
			}
		}
	}
}

func TestVERPIsASCII(t *testing.T) {
	if v := book.VERP("news", "ann@exämple.org"); v != "news-bounces+ann=xn--exmple-cua.org@lists.example.org" {
		t.Fatalf("VERP of an IDN domain: %q", v)
	}
	if v := book.VERP("news", "zoë@example.org"); v != "news-bounces@lists.example.org" {
		t.Fatalf("VERP of a Unicode local part: %q", v)
	}
}

func TestURLRoundTrip(t *testing.T) {
	for _, c := range []struct {
		url  string
		want Page
	}{
		{book.UnsubscribeURL("tok-1_x"), Page{Kind: PageUnsubscribe, Token: "tok-1_x"}},
		{string(book.AppendUnsubscribeURL(nil, "tok2")), Page{Kind: PageUnsubscribe, Token: "tok2"}},
		{book.ConfirmURL("abc234"), Page{Kind: PageConfirm, Token: "abc234"}},
		{book.SubscribeURL("bpf-updates"), Page{Kind: PageSubscribe, List: "bpf-updates"}},
		{book.ArchiveURL("", ""), Page{Kind: PageArchive}},
		{book.ArchiveURL("bpf-updates", ""), Page{Kind: PageArchive, List: "bpf-updates"}},
		{book.ArchiveURL("bpf-updates", "issue-06"), Page{Kind: PageArchive, List: "bpf-updates", Issue: "issue-06"}},
		{book.ArchiveURL("bpf-updates", "a b?c"), Page{Kind: PageArchive, List: "bpf-updates", Issue: "a b?c"}},
	} {
		if !strings.HasPrefix(c.url, "https://news.example.org/") || strings.Contains(c.url, "org//") {
			t.Errorf("%s: not under the base URL", c.url)
		}
		got, err := book.ParseURL(c.url)
		if err != nil || got != c.want {
			t.Errorf("%s parsed as %+v %v, want %+v", c.url, got, err, c.want)
		}
	}
	for _, bad := range []string{"https://elsewhere.example.org/u/x", "https://news.example.org/u/", "https://news.example.org/u/a/b",
		"https://news.example.org/nothing", "https://news.example.org.evil.example/u/x"} {
		if p, err := book.ParseURL(bad); fault.CodeOf(err) != fault.NotFound {
			t.Errorf("%s parsed as %+v %v, want not ours", bad, p, err)
		}
	}
}

// FuzzParse: no recipient makes the parser panic, and whatever parses as a
// list address names a list, never an empty one.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"majordomo@lists.example.org", "x-bounces+a=b@lists.example.org", "-request@lists.example.org",
		"x-confirm+@lists.example.org", "+@lists.example.org", "@", "x-bounces+=@lists.example.org"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, rcpt string) {
		r, err := book.Parse(rcpt)
		if err != nil {
			return
		}
		if r.Kind != KindCommands && r.List == "" {
			t.Fatalf("%q: %+v without a list", rcpt, r)
		}
		if (r.Kind == KindConfirm || r.Kind == KindTokenUnsubscribe) && r.Token == "" {
			t.Fatalf("%q: %+v without a token", rcpt, r)
		}
	})
}

// The site's robot addresses parse back to their kinds, never to a list.
func TestSiteAddresses(t *testing.T) {
	for addr, kind := range map[string]Kind{book.SiteBounces(): KindSiteBounces, book.Complaints(): KindComplaints} {
		if r, err := book.Parse(addr); err != nil || r.Kind != kind || r.List != "" {
			t.Errorf("%s: %+v %v", addr, r, err)
		}
	}
}
