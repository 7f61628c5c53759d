package fault

import (
	"errors"
	"fmt"
	"io"
	"testing"
)

func TestCodeAndMessageThroughWrapping(t *testing.T) {
	base := Errorf(NotFound, "no list named %q", "x")
	wrapped := fmt.Errorf("lists show: %w", base)
	if CodeOf(wrapped) != NotFound || MessageOf(wrapped) != `no list named "x"` {
		t.Fatalf("code %q message %q", CodeOf(wrapped), MessageOf(wrapped))
	}
	if CodeOf(io.EOF) != Internal || MessageOf(io.EOF) != "internal error" {
		t.Fatal("a plain error must count as internal and not leak its text")
	}
	if CodeOf(nil) != "" {
		t.Fatal("nil has a code")
	}
	e := Errorf(Unavailable, "database busy: %w", io.ErrUnexpectedEOF)
	if !errors.Is(e, io.ErrUnexpectedEOF) {
		t.Fatal("%w cause lost")
	}
}

// The cause is said once: by Wrap after the context, by Coded alone, and
// not at all by Explain, whose message stands in its place.
func TestCauseSaidOnce(t *testing.T) {
	cause := errors.New("connection refused")
	for _, c := range []struct {
		err  *Error
		want string
	}{
		{Wrap(Unavailable, cause, "dial %s", "smtp.example.org:25"), "dial smtp.example.org:25: connection refused"},
		{Coded(Invalid, cause), "connection refused"},
		{Explain(Unavailable, cause, "the relay is down; try again later"), "the relay is down; try again later"},
		{Wrap(Invalid, nil, "no cause"), "no cause"},
	} {
		if got := c.err.Error(); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
		if c.err.Err != nil && !errors.Is(c.err, cause) {
			t.Errorf("%q lost its cause", c.err)
		}
	}
}
