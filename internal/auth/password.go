package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"
)

// Params are argon2id's costs (RFC 9106 §3.1): memory in KiB, passes and
// lanes.
type Params struct {
	Memory  uint32
	Time    uint32
	Threads uint8
}

// DefaultParams are RFC 9106 §4's second recommended option, for machines
// that cannot spare 2 GiB a login: 64 MiB, 3 passes, 4 lanes.
var DefaultParams = Params{Memory: 64 * 1024, Time: 3, Threads: 4}

const (
	saltLen = 16 // RFC 9106 §3.1: 128 bits
	keyLen  = 32
	// MinPassword is the shortest password accepted, in characters
	// (NIST SP 800-63B §3.1.1.2 asks at least 8 where one factor guards the
	// door; the console guards every list). MaxPassword keeps an attacker
	// from making each guess cost more than hashing it.
	MinPassword = 12
	MaxPassword = 1024
	// maxMemory bounds the costs read back from a stored hash, so that a
	// tampered row cannot make one login take the machine's memory.
	maxMemory = 1 << 20
)

// hash returns password's argon2id hash in PHC string form:
// $argon2id$v=19$m=65536,t=3,p=4$SALT$HASH (unpadded standard base64,
// as the PHC string format and the reference implementation write it).
func (p Params) hash(password string) string {
	salt := make([]byte, saltLen)
	rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// burn costs what checking a password against a hash of p costs, for an
// address without a login: a wrong address must take as long as a wrong
// password, or the time would tell which addresses have logins.
func (p Params) burn(password string) {
	argon2.IDKey([]byte(password), make([]byte, saltLen), p.Time, p.Memory, p.Threads, keyLen)
}

// verify reports whether password matches encoded, an argon2id PHC string
// or a bcrypt hash ($2a$, $2b$, $2y$), comparing in constant time; stale
// is true when the hash should be made again with p (bcrypt, or other
// costs).
func (p Params) verify(encoded, password string) (ok, stale bool) {
	if strings.HasPrefix(encoded, "$2") {
		return bcrypt.CompareHashAndPassword([]byte(encoded), []byte(password)) == nil, true
	}
	stored, salt, want, err := parsePHC(encoded)
	if err != nil {
		p.burn(password)
		return false, true
	}
	got := argon2.IDKey([]byte(password), salt, stored.Time, stored.Memory, stored.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, stored != p
}

// parsePHC reads an argon2id PHC string.
func parsePHC(s string) (Params, []byte, []byte, error) {
	var p Params
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return p, nil, nil, fmt.Errorf("not an argon2id hash of version %d", argon2.Version)
	}
	var threads uint32
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &threads); err != nil {
		return p, nil, nil, fmt.Errorf("argon2id parameters: %w", err)
	}
	if p.Memory == 0 || p.Memory > maxMemory || p.Time == 0 || p.Time > 100 || threads == 0 || threads > 255 {
		return p, nil, nil, fmt.Errorf("argon2id parameters out of range")
	}
	p.Threads = uint8(threads)
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return p, nil, nil, fmt.Errorf("argon2id salt: %w", err)
	}
	key, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(key) < 16 {
		return p, nil, nil, fmt.Errorf("argon2id hash is not base64 of 16 bytes or more")
	}
	return p, salt, key, nil
}
