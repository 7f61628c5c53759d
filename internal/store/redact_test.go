package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	"mailer/internal/fault"
	"mailer/internal/pgtest"
)

const pw = "s3cretPW%21x"

// refusedPort is a 127.0.0.1 port nothing listens on.
func refusedPort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// Every way of writing the password into the URL, with a server that is
// not there and a URL that does not parse: no message carries it, raw or
// decoded, and the failure keeps its code (a retry for the MTA).
func TestConnectionErrorsHideThePassword(t *testing.T) {
	port := refusedPort(t)
	cases := []struct {
		dsn  string
		code fault.Code
	}{
		{fmt.Sprintf("postgres://bob:%s@127.0.0.1:%d/mailer?sslmode=disable&connect_timeout=2", pw, port), fault.Unavailable},
		{fmt.Sprintf("postgres://bob@127.0.0.1:%d/mailer?password=%s&sslmode=disable", port, pw), fault.Unavailable},
		{fmt.Sprintf("postgresql://bob@127.0.0.1:%d/mailer?sslmode=disable&PassWord=%s", port, pw), fault.Unavailable},
		{fmt.Sprintf("postgres://bob:%s@127.0.0.1:%d/mailer?sslpassword=%s&connect_timeout=x", pw, port, pw), fault.Invalid},
		{fmt.Sprintf("postgres://bob:%s@[::1/mailer?password=%s", pw, pw), fault.Invalid},
	}
	for _, c := range cases {
		_, err := Open(context.Background(), c.dsn, Options{})
		if err == nil {
			t.Fatalf("%s: opened", redact(c.dsn))
		}
		assertHidden(t, err.Error())
		if got := fault.CodeOf(err); got != c.code {
			t.Errorf("%v: code %s, want %s", err, got, c.code)
		}
		if !strings.Contains(err.Error(), "bob") && !strings.Contains(err.Error(), "unparsable") {
			t.Errorf("message names neither the user nor the URL: %v", err)
		}
	}
}

func assertHidden(tb testing.TB, msg string) {
	tb.Helper()
	for _, s := range []string{pw, "s3cretPW!x", "s3cretPW"} {
		if strings.Contains(msg, s) {
			tb.Fatalf("password %q in message: %s", s, msg)
		}
	}
}

// On a real server: a database that does not exist, reached with a
// password in the query, is refused by the server with its own message.
func TestServerRefusalHidesThePassword(t *testing.T) {
	if pgtest.Backend != "postgres" {
		t.Skip("needs the PostgreSQL pass")
	}
	dsn := strings.Replace(pgtest.Database(t), "/t", "/missing_t", 1) + "&password=" + pw
	_, err := Open(context.Background(), dsn, Options{})
	if err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("want the server's refusal, got %v", err)
	}
	assertHidden(t, err.Error())
}

// A driver free to quote its connection string (pgx redacts its own, other
// paths may not) still cannot carry it out through the store's errors,
// while the store can still tell what the error is.
func TestDriverErrorQuotingThePasswordIsCleaned(t *testing.T) {
	dsn := "postgres://bob:" + pw + "@db.example/mailer?password=" + pw
	db := &DB{path: redact(dsn), secrets: secretsOf(dsn)}
	cause := fmt.Errorf("dial %s: %w", dsn, context.DeadlineExceeded)
	err := db.wrap(cause, "open database")
	assertHidden(t, err.Error())
	if !errors.Is(err, context.DeadlineExceeded) || fault.CodeOf(err) != fault.Unavailable {
		t.Fatalf("cleaning lost the cause: %v (%s)", err, fault.CodeOf(err))
	}
}

func TestRedactKeepsTheRestOfTheURL(t *testing.T) {
	got := redact("postgres://bob:" + pw + "@db.example:5433/mailer?sslmode=require&password=" + pw + "&application_name=m")
	want := "postgres://bob:(redacted)@db.example:5433/mailer?sslmode=require&password=(redacted)&application_name=m"
	if got != want {
		t.Fatalf("redact =\n %s\nwant\n %s", got, want)
	}
}
