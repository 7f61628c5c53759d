package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// importCase is one tool's export imported with the real command, and who
// a following send must mail: alice (already a member) and those the tool
// mails, nobody else.
type importCase struct {
	files  []string // under internal/roster/testdata, imported in order
	flags  []string
	mailed []string
}

var importCases = map[string]importCase{
	"mailchimp": {files: []string{"mailchimp/subscribed_members_export_6f1c2e.csv",
		"mailchimp/unsubscribed_members_export_6f1c2e.csv", "mailchimp/cleaned_members_export_6f1c2e.csv"},
		mailed: []string{"ok.anne@example.com", "ok.bart@example.org", "ok.zoe@example.net"}},
	"substack":   {files: []string{"substack-email-list.csv"}, mailed: []string{"ok.anne@example.com", "ok.paid@example.org"}},
	"buttondown": {files: []string{"buttondown-subscribers.csv"}, mailed: []string{"ok.anne@example.com", "ok.gift@example.org", "ok.paid@example.org"}},
	"ghost":      {files: []string{"ghost-members.csv"}, mailed: []string{"ok.anne@example.com"}},
	"kit":        {files: []string{"kit-subscribers.csv"}, mailed: []string{"ok.anne@example.com", "ok.cold@example.org"}},
	"beehiiv":    {files: []string{"beehiiv-subscribers.csv"}, mailed: []string{"ok.anne@example.com"}},
	"sendy":      {files: []string{"sendy-subscribers.csv"}, mailed: []string{"ok.anne@example.com", "ok.soft@example.org"}},
	"mailerlite": {files: []string{"mailerlite-subscribers.csv"}, mailed: []string{"ok.anne@example.com"}},
	// listmonk's export says who is enabled, not who is still subscribed
	// to the list: the owner exports the confirmed ones and says so.
	"listmonk --status active": {files: []string{"listmonk-subscribers.csv"}, flags: []string{"--status", "active"}, mailed: []string{"anne@example.com"}},
	// Mailman's member lists carry no status: a list of its nomail or
	// unsubscribed members is imported with --status.
	"mailman3 --status unsubscribed": {files: []string{"mailman3-members.txt"}, flags: []string{"--status", "unsubscribed"}},
	"mailman2 --status disabled":     {files: []string{"mailman2-list_members.txt"}, flags: []string{"--status", "disabled"}},
	"postorius --status complained":  {files: []string{"mailman3-postorius-Subscribers.csv"}, flags: []string{"--status", "complained"}},
}

// TestImportedLeaversAreNotMailed: every tool's export, imported with
// `subscribers import` as a new owner would, then a real send to the test
// SMTP server: only the people the tool mails get the issue.
func TestImportedLeaversAreNotMailed(t *testing.T) {
	for name, c := range importCases {
		t.Run(name, func(t *testing.T) {
			e, srv := newSendEnv(t, 0)
			for _, f := range c.files {
				b, err := os.ReadFile(filepath.Join("../roster/testdata", f))
				if err != nil {
					t.Fatal(err)
				}
				args := append([]string{"subscribers", "import", "bpf-updates", e.write(filepath.Base(f), string(b))}, c.flags...)
				e.mustRun(args...)
			}
			e.mustRun("send", "issue-06", "--yes")
			var got []string
			for rcpt := range srv.ByRecipient() {
				got = append(got, rcpt)
			}
			want := append([]string{"alice@example.org"}, c.mailed...)
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("mailed %v, want %v", got, want)
			}
		})
	}
}

// TestImportRefusesWhatItCannotRead: a file with data and nothing
// recognised, or a status mailer does not know, exits non-zero and names
// the lines; a CR-only file is read, not taken as one line.
func TestImportRefusesWhatItCannotRead(t *testing.T) {
	e := newTestEnv(t)
	e.mustRun("lists", "create", "news", "--from", "News <news@example.org>")
	_, errOut, code := e.run("subscribers", "import", "news", e.write("odd.csv", "Subscriber Email;Status;Joined\na@example.org;active;2020\n"), "--skip-invalid")
	if code == 0 || !strings.Contains(errOut, "no line of") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	_, errOut, code = e.run("subscribers", "import", "news", e.write("bd.csv", "email,subscriber_type\nb@example.org,regular\nc@example.org,mystery\n"))
	if code == 0 || !strings.Contains(errOut, "bd.csv:3: unknown status \"mystery\"") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	out := e.mustRun("subscribers", "import", "news", e.write("cr.csv", "email,name\rd@example.org,D\re@example.org,E\r"))
	if !strings.Contains(out, "2 added") {
		t.Fatalf("CR-only: %s", out)
	}
}
