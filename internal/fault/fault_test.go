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
