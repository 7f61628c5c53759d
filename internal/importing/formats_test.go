package importing_test

import (
	"errors"
	"strings"
	"testing"

	"mailer/internal/fault"
	"mailer/internal/importing"
	"mailer/internal/store"
)

// TestImportKeepsConsentAndNames: the source's opt-in evidence is in the
// audit entry of the import, and a second file naming a member anew
// renames them, audited, without changing their status.
func TestImportKeepsConsentAndNames(t *testing.T) {
	e := newEnv(t)
	mc := "Email Address,First Name,Last Name,MEMBER_RATING,OPTIN_TIME,OPTIN_IP,CONFIRM_TIME,CONFIRM_IP\n" +
		"ann@example.org,Ann,Lee,2,2019-03-04 10:00:00,192.0.2.1,2019-03-04 10:02:00,192.0.2.2\n"
	e.importFile("subscribed_members_export_1.csv", mc, opts(""))
	log, err := e.db.AuditLog(e.ctx, e.list, "ann@example.org")
	if err != nil || len(log) != 1 || log[0].IP != "192.0.2.2" ||
		log[0].Reason != "imported from subscribed_members_export_1.csv (opted in 2019-03-04 10:00:00, opt-in IP 192.0.2.1, confirmed 2019-03-04 10:02:00, confirm IP 192.0.2.2)" {
		t.Fatalf("audit %+v %v", log, err)
	}
	rep := e.importFile("again.csv", "email,first_name,last_name\nann@example.org,Ann,Lee-Park\n", opts(""))
	if rep.Renamed != 1 || rep.Already != 1 {
		t.Fatalf("rename: %+v", rep.ImportReport)
	}
	m, err := e.db.GetMember(e.ctx, e.list, "ann@example.org")
	if err != nil || m.Name != "Ann Lee-Park" || m.Status != store.Active {
		t.Fatalf("member %+v %v", m, err)
	}
	log, _ = e.db.AuditLog(e.ctx, e.list, "ann@example.org")
	if len(log) != 2 || log[1].Action != "renamed" || !strings.Contains(log[1].Reason, `"Ann Lee" → "Ann Lee-Park"`) {
		t.Fatalf("rename audit %+v", log)
	}
	if rep := e.importFile("again.csv", "email,first_name,last_name\nann@example.org,Ann,Lee-Park\n", opts("")); rep.Renamed != 0 {
		t.Fatal("the same name again renamed")
	}
}

// TestNonActiveStatusesStayUnmailed: every status a tool's file can give
// but active is recorded so (or, never confirmed, not imported), and an
// existing active member is not made active by a file marking them left.
func TestNonActiveStatusesStayUnmailed(t *testing.T) {
	e := newEnv(t)
	rep := e.importFile("k.csv", "email_address,state\na@example.org,cancelled\nb@example.org,bounced\n"+
		"c@example.org,complained\nd@example.org,inactive\n", opts(""))
	if rep.Suppressed != 3 || len(rep.Skipped) != 1 || rep.Added != 0 {
		t.Fatalf("%+v", rep.ImportReport)
	}
	for addr, want := range map[string]store.Status{"a@example.org": store.Unsubscribed, "b@example.org": store.Bounced,
		"c@example.org": store.Complained, "d@example.org": ""} {
		if got := e.status(addr); got != want {
			t.Errorf("%s is %q, want %q", addr, got, want)
		}
	}
	// The complainer comes back in a file saying active: still complained.
	rep = e.importFile("k2.csv", "email_address,state\nc@example.org,active\n", opts(""))
	if len(rep.Skipped) != 1 || e.status("c@example.org") != store.Complained {
		t.Fatalf("%+v", rep.ImportReport)
	}
	// --status: a whole file of people who left.
	o := opts("")
	o.Status = store.Unsubscribed
	e.importFile("gone.txt", "e@example.org\nEf <f@example.org>\n", o)
	if e.status("e@example.org") != store.Unsubscribed || e.status("f@example.org") != store.Unsubscribed {
		t.Fatal("--status unsubscribed not kept")
	}
}

// TestNothingRecognisedFails: a file with data and no member in it fails,
// even with SkipInvalid: it must never end "0 added" as a success.
func TestNothingRecognisedFails(t *testing.T) {
	o := opts("odd.csv")
	o.SkipInvalid = true
	_, err := importing.Read(strings.NewReader("Subscriber Email;Status;Joined\nann@example.org;active;2020-01-01\n"), o)
	if !errors.Is(err, importing.ErrBadLines) || fault.CodeOf(err) != fault.Invalid {
		t.Fatalf("%v", err)
	}
	var be *importing.BadLinesError
	if !errors.As(err, &be) || be.Good != 0 || len(be.Lines) != 2 {
		t.Fatalf("%+v", be)
	}
}
