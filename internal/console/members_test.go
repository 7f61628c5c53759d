package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"mailer/internal/store"
)

// The lists page shows the lists the principal may see, each with its
// chart as an SVG that needs no inline style or script.
func TestListsPage(t *testing.T) {
	e := newEnv(t)
	e.member(e.bpf, "carol@example.org", store.Active)
	e.member(e.bpf, "dave@example.org", store.Unsubscribed)
	a := e.get("/", e.login(alice))
	if a.status != http.StatusOK {
		t.Fatalf("GET /: %d", a.status)
	}
	for _, want := range []string{`<svg class="chart"`, `<rect class="up"`, "BPF updates", `<span class="n">1</span> active`, `<span class="n">1</span> unsubscribed`, "joined (2)", "left (1)"} {
		if !strings.Contains(a.body, want) {
			t.Errorf("lists page lacks %q", want)
		}
	}
	if strings.Contains(a.body, "kernel-news") {
		t.Error("alice's lists page shows bob's list")
	}
	for _, bad := range []string{"style=", "<style", "onclick", "<script>"} {
		if strings.Contains(a.body, bad) {
			t.Errorf("lists page has %q, which the CSP refuses", bad)
		}
	}
	if got := a.header.Get("Content-Security-Policy"); !strings.Contains(got, "script-src 'self'") || strings.Contains(got, "unsafe-inline") {
		t.Errorf("CSP %q", got)
	}
	admin := e.get("/", e.login(root))
	if !strings.Contains(admin.body, "kernel-news") || !strings.Contains(admin.body, "bpf-updates") {
		t.Error("a site admin does not see every list")
	}
}

// A list owner cannot see or change another owner's list: it answers as
// a list that does not exist.
func TestOwnerSeesOnlyOwnLists(t *testing.T) {
	e := newEnv(t)
	kn, _ := e.db.GetList(context.Background(), "kernel-news")
	e.member(kn, "erin@example.org", store.Active)
	cookie := e.login(alice)
	missing := e.get("/lists/no-such-list", cookie)
	for _, path := range []string{"/lists/kernel-news", "/lists/kernel-news/members", "/lists/kernel-news/members/erin@example.org", "/lists/kernel-news/import"} {
		a := e.get(path, cookie)
		if a.status != http.StatusNotFound {
			t.Errorf("alice GET %s: %d, want 404", path, a.status)
		}
		if strings.Contains(a.body, "erin@") || strings.Contains(a.body, "Kernel news") {
			t.Errorf("alice GET %s shows bob's list", path)
		}
	}
	if missing.status != http.StatusNotFound {
		t.Errorf("a missing list: %d", missing.status)
	}
	csrf := e.csrf(cookie)
	for path, form := range map[string]url.Values{
		"/lists/kernel-news/members":                         {"address": {"mallory@example.org"}, "csrf": {csrf}},
		"/lists/kernel-news/members/erin@example.org/remove": {"csrf": {csrf}},
	} {
		if a := e.post(path, cookie, form); a.status != http.StatusNotFound {
			t.Errorf("alice POST %s: %d, want 404", path, a.status)
		}
	}
	if st := e.status(kn, "mallory@example.org"); st != "" {
		t.Errorf("alice added mallory to bob's list: %q", st)
	}
	if st := e.status(kn, "erin@example.org"); st != store.Active {
		t.Errorf("alice removed erin from bob's list: %q", st)
	}
	if a := e.get("/lists/kernel-news/members/erin@example.org", e.login(root)); a.status != http.StatusOK {
		t.Errorf("a site admin GET bob's member: %d", a.status)
	}
}

// Adding back someone who unsubscribed needs the owner to say they asked
// again, as `subscribers add --force` does; the audit log names the
// console's operator.
func TestAddUnsubscribedNeedsForce(t *testing.T) {
	e := newEnv(t)
	e.member(e.bpf, "frank@example.org", store.Unsubscribed)
	cookie := e.login(alice)
	csrf := e.csrf(cookie)
	a := e.post("/lists/bpf-updates/members", cookie, url.Values{"address": {"frank@example.org"}, "csrf": {csrf}})
	if a.status != http.StatusConflict || !strings.Contains(a.body, "withdrew their consent") || !strings.Contains(a.body, `name="force"`) {
		t.Errorf("re-adding someone who left: %d\n%s", a.status, a.body)
	}
	if st := e.status(e.bpf, "frank@example.org"); st != store.Unsubscribed {
		t.Fatalf("frank is %q after a refused add", st)
	}
	a = e.post("/lists/bpf-updates/members", cookie, url.Values{"address": {"frank@example.org"}, "force": {"1"}, "csrf": {csrf}})
	if a.status != http.StatusSeeOther || a.header.Get("Location") != "/lists/bpf-updates/members/frank@example.org?done=added" {
		t.Fatalf("forced add: %d to %q", a.status, a.header.Get("Location"))
	}
	if st := e.status(e.bpf, "frank@example.org"); st != store.Active {
		t.Errorf("frank is %q after a forced add", st)
	}
	log, err := e.db.AuditLog(context.Background(), e.bpf, "frank@example.org")
	if err != nil {
		t.Fatal(err)
	}
	last := log[len(log)-1]
	if last.Operator != "console:"+alice || last.NewStatus != store.Active || !strings.Contains(last.Reason, "consent withdrawn") {
		t.Errorf("audit entry of the forced add: %+v", last)
	}
	page := e.get(a.header.Get("Location"), cookie)
	if !strings.Contains(page.body, "console:"+alice) || !strings.Contains(page.body, "Added: an active member now.") {
		t.Errorf("member page lacks the audit trail or the notice:\n%s", page.body)
	}
	bad := e.post("/lists/bpf-updates/members", cookie, url.Values{"address": {"not an address"}, "csrf": {csrf}})
	if bad.status != http.StatusBadRequest {
		t.Errorf("a bad address: %d, want 400", bad.status)
	}
}

func TestRemoveAndReactivate(t *testing.T) {
	e := newEnv(t)
	e.member(e.bpf, "gina@example.org", store.Active)
	e.member(e.bpf, "hal@example.org", store.Bounced)
	cookie := e.login(alice)
	csrf := e.csrf(cookie)
	if a := e.post("/lists/bpf-updates/members/gina@example.org/remove", cookie, url.Values{"csrf": {csrf}, "reason": {"asked by phone"}}); a.status != http.StatusSeeOther {
		t.Fatalf("remove: %d\n%s", a.status, a.body)
	}
	if st := e.status(e.bpf, "gina@example.org"); st != store.Unsubscribed {
		t.Errorf("gina is %q after remove", st)
	}
	log, _ := e.db.AuditLog(context.Background(), e.bpf, "gina@example.org")
	if last := log[len(log)-1]; last.Reason != "asked by phone" || last.Operator != "console:"+alice {
		t.Errorf("remove's audit entry: %+v", last)
	}
	if a := e.post("/lists/bpf-updates/members/gina@example.org/reactivate", cookie, url.Values{"csrf": {csrf}}); a.status != http.StatusConflict {
		t.Errorf("reactivating someone who left: %d, want 409", a.status)
	}
	if st := e.status(e.bpf, "gina@example.org"); st != store.Unsubscribed {
		t.Errorf("reactivate made gina %q", st)
	}
	if a := e.post("/lists/bpf-updates/members/hal@example.org/reactivate", cookie, url.Values{"csrf": {csrf}}); a.status != http.StatusSeeOther {
		t.Fatalf("reactivate: %d\n%s", a.status, a.body)
	}
	if st := e.status(e.bpf, "hal@example.org"); st != store.Active {
		t.Errorf("hal is %q after reactivate", st)
	}
	if a := e.post("/lists/bpf-updates/members/nobody@example.org/remove", cookie, url.Values{"csrf": {csrf}}); a.status != http.StatusNotFound {
		t.Errorf("removing a non-member: %d, want 404", a.status)
	}
}

var memberLink = regexp.MustCompile(`href="/lists/bpf-updates/members/([^"?]+)"`)
var nextLink = regexp.MustCompile(`href="(/lists/bpf-updates/members\?[^"]+)"`)

// The members pages follow each other by cursor, every member once; the
// status filter and the search narrow them.
func TestMembersPages(t *testing.T) {
	e := newEnv(t)
	for i := range 120 {
		st := store.Active
		if i%4 == 0 {
			st = store.Bounced
		}
		e.member(e.bpf, fmt.Sprintf("reader%03d@example.org", i), st)
	}
	cookie := e.login(alice)
	seen := map[string]bool{}
	pages := 0
	for path := "/lists/bpf-updates/members"; path != ""; pages++ {
		a := e.get(path, cookie)
		if a.status != http.StatusOK {
			t.Fatalf("GET %s: %d", path, a.status)
		}
		for _, m := range memberLink.FindAllStringSubmatch(a.body, -1) {
			if seen[m[1]] {
				t.Errorf("%s on two pages", m[1])
			}
			seen[m[1]] = true
		}
		path = ""
		if m := nextLink.FindStringSubmatch(a.body); m != nil {
			path = strings.ReplaceAll(m[1], "&amp;", "&")
		}
	}
	if len(seen) != 120 || pages != 3 {
		t.Errorf("%d members on %d pages, want 120 on 3", len(seen), pages)
	}
	bounced := memberLink.FindAllString(e.get("/lists/bpf-updates/members?status=bounced", cookie).body, -1)
	if len(bounced) != 30 {
		t.Errorf("%d bounced members shown, want 30", len(bounced))
	}
	found := memberLink.FindAllStringSubmatch(e.get("/lists/bpf-updates/members?q=READER01", cookie).body, -1)
	if len(found) != 10 || found[0][1] != "reader010@example.org" {
		t.Errorf("search READER01: %v", found)
	}
	if a := e.get("/lists/bpf-updates/members?status=sleeping", cookie); a.status != http.StatusBadRequest {
		t.Errorf("an unknown status: %d, want 400", a.status)
	}
}
