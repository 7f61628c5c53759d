package outhooks_test

import (
	"strings"
	"testing"

	"mailer/internal/fault"
	"mailer/internal/outhooks"
)

// TestParseEventsAndURL: events are known names, each once, in the given
// order; a URL is absolute http(s) with a host and no credentials, and an
// error about it never repeats it.
func TestParseEventsAndURL(t *testing.T) {
	got, err := outhooks.ParseEvents(" Subscribed,send.done,subscribed ")
	if err != nil || strings.Join(got, ",") != "subscribed,send.done" {
		t.Fatalf("%v %v", got, err)
	}
	for _, bad := range []string{"", ",", "subscribed,left"} {
		if _, err := outhooks.ParseEvents(bad); fault.CodeOf(err) != fault.Invalid {
			t.Errorf("events %q: %v", bad, err)
		}
	}
	if _, err := outhooks.ParseEvents("subscribed,left"); !strings.Contains(err.Error(), `"left"`) {
		t.Errorf("the unknown event is not named: %v", err)
	}
	for _, ok := range []string{"https://crm.example.org/in?token=x", "http://127.0.0.1:8080/"} {
		if err := outhooks.CheckURL(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"ftp://example.org/", "https:///path", "example.org/in", "https://user:s3cret@example.org/", "mailto:a@example.org"} {
		err := outhooks.CheckURL(bad)
		if fault.CodeOf(err) != fault.Invalid || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: %v", bad, err)
		}
	}
}
