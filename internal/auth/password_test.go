package auth

import (
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// TestPasswordHash: a PHC string of argon2id with its costs, a new salt
// each time; the right password matches, another does not; a hash of
// other costs or bcrypt still matches and is stale; malformed or
// out-of-range hashes match nothing.
func TestPasswordHash(t *testing.T) {
	p := Params{Memory: 64, Time: 1, Threads: 1}
	h := p.hash("correct horse battery")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") || strings.Count(h, "$") != 5 {
		t.Fatalf("hash %q", h)
	}
	if h2 := p.hash("correct horse battery"); h2 == h {
		t.Fatal("two hashes of one password are equal: no salt")
	}
	if ok, stale := p.verify(h, "correct horse battery"); !ok || stale {
		t.Fatalf("right password: %v %v", ok, stale)
	}
	if ok, _ := p.verify(h, "correct horse batterY"); ok {
		t.Fatal("a wrong password matched")
	}
	other := Params{Memory: 128, Time: 2, Threads: 1}
	if ok, stale := other.verify(h, "correct horse battery"); !ok || !stale {
		t.Fatalf("a hash of other costs: %v %v", ok, stale)
	}
	b, _ := bcrypt.GenerateFromPassword([]byte("correct horse battery"), bcrypt.MinCost)
	if ok, stale := p.verify(string(b), "correct horse battery"); !ok || !stale {
		t.Fatalf("bcrypt: %v %v", ok, stale)
	}
	if ok, _ := p.verify(string(b), "wrong"); ok {
		t.Fatal("bcrypt matched a wrong password")
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$" + strings.Repeat("A", 43),
		"$argon2id$v=16$m=64,t=1,p=1$c2FsdHNhbHQ$" + strings.Repeat("A", 43),
		"$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$" + strings.Repeat("A", 43),
		"$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$AAAA", "$argon2id$v=19$m=64,t=1,p=1$!!$" + strings.Repeat("A", 43)} {
		if ok, _ := p.verify(bad, ""); ok {
			t.Errorf("%q matched", bad)
		}
	}
}

// TestDelaySchedule: five failures are free, then 30 s doubling to a
// cap of 15 minutes.
func TestDelaySchedule(t *testing.T) {
	want := []string{"0s", "0s", "0s", "0s", "0s", "30s", "1m0s", "2m0s", "4m0s", "8m0s", "15m0s", "15m0s"}
	for n, w := range want {
		if got := Delay(n).String(); got != w {
			t.Errorf("after %d failures: %s, want %s", n, got, w)
		}
	}
	if Delay(1000) != MaxDelay {
		t.Error("no cap")
	}
}
