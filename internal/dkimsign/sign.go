package dkimsign

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"

	"mailer/internal/fault"
)

// Sign returns msg with a DKIM-Signature field for each key in front.
func (s *Signer) Sign(msg []byte) ([]byte, error) { return s.AppendSigned(nil, msg) }

// AppendSigned appends the signature fields and msg to dst.
func (s *Signer) AppendSigned(dst, msg []byte) ([]byte, error) { return s.sign(dst, msg, nil) }

// Body is a Signer primed with the start of a body that many messages
// share (an issue up to its first personal link): the start is
// canonicalised and hashed once, and each message's body hash continues
// from there.
type Body struct {
	s      *Signer
	shared []byte
	state  *bodyHash
}

// ForBody primes s with shared, the start of the bodies to come.
func (s *Signer) ForBody(shared []byte) *Body {
	st := newBodyHash()
	st.Write(shared)
	return &Body{s: s, shared: bytes.Clone(shared), state: st}
}

// AppendSigned is Signer.AppendSigned, faster for a body that starts with
// the shared part; any other message is signed the long way.
func (b *Body) AppendSigned(dst, msg []byte) ([]byte, error) { return b.s.sign(dst, msg, b) }

func (s *Signer) sign(dst, msg []byte, pre *Body) ([]byte, error) {
	dst, err := s.fields(dst, msg, pre)
	if err != nil {
		return nil, err
	}
	return append(dst, msg...), nil
}

// SignInPlace signs the message at buf[at:] and returns buf with the
// signature fields in front of it. When they take exactly at bytes (a
// send's messages all have the same fields, so the caller learns the
// size from the first), they are written into buf[:at] and the message is
// not copied; otherwise a new buffer is returned. n is their size.
func (b *Body) SignInPlace(buf []byte, at int) (out []byte, n int, err error) {
	var scratch [1024]byte
	fields, err := b.s.fields(scratch[:0], buf[at:], b)
	if err != nil {
		return nil, 0, err
	}
	if len(fields) == at {
		copy(buf, fields)
		return buf, at, nil
	}
	out = make([]byte, 0, len(fields)+len(buf)-at)
	return append(append(out, fields...), buf[at:]...), len(fields), nil
}

// fields appends the DKIM-Signature fields for msg to dst.
func (s *Signer) fields(dst, msg []byte, pre *Body) ([]byte, error) {
	head, body := split(msg)
	var bh *bodyHash
	if pre != nil && bytes.HasPrefix(body, pre.shared) {
		bh = pre.state.clone()
		bh.Write(body[len(pre.shared):])
	} else {
		bh = newBodyHash()
		bh.Write(body)
	}
	bodySum := base64.StdEncoding.EncodeToString(bh.sum())
	names, canon := signedFields(head)
	for _, k := range s.keys {
		var err error
		if dst, err = s.signature(dst, k, names, canon, bodySum); err != nil {
			return nil, err
		}
	}
	return dst, nil
}

// signature appends k's DKIM-Signature field over the canonical header
// fields and the body hash.
func (s *Signer) signature(dst []byte, k key, names []string, canon []byte, bodySum string) ([]byte, error) {
	var f strings.Builder
	f.WriteString("DKIM-Signature: v=1; a=" + k.algorithm + "; c=relaxed/relaxed; d=" + s.Domain + "; s=" + k.selector + ";\r\n")
	f.WriteString("\tt=" + strconv.FormatInt(s.now().Unix(), 10) + "; h=")
	line := 0
	for i, n := range names {
		if i > 0 {
			f.WriteByte(':')
			if line += len(n) + 1; line > 64 {
				f.WriteString("\r\n\t")
				line = 0
			}
		}
		f.WriteString(n)
	}
	f.WriteString(";\r\n\tbh=" + bodySum + ";\r\n\tb=")
	unsigned := f.String()
	data := relaxedHeader(canon, unsigned)
	digest := sha256.Sum256(data[:len(data)-2]) // the signature field goes in without its CRLF
	opts := crypto.SignerOpts(crypto.SHA256)
	if k.algorithm == ed25519SHA256 {
		opts = crypto.Hash(0) // RFC 8463: Ed25519 signs the SHA-256 digest
	}
	sig, err := k.signer.Sign(rand.Reader, digest[:], opts)
	if err != nil {
		return nil, fault.Wrap(fault.Internal, err, "DKIM sign")
	}
	dst = append(dst, unsigned...)
	b64 := base64.StdEncoding.EncodeToString(sig)
	for len(b64) > 72 {
		dst = append(dst, b64[:72]...)
		dst = append(dst, "\r\n\t"...)
		b64 = b64[72:]
	}
	dst = append(dst, b64...)
	return append(dst, "\r\n"...), nil
}

// split parts msg at the blank line: head keeps each field's CRLF.
func split(msg []byte) (head, body []byte) {
	if bytes.HasPrefix(msg, []byte("\r\n")) {
		return nil, msg[2:]
	}
	i := bytes.Index(msg, []byte("\r\n\r\n"))
	if i < 0 {
		return msg, nil
	}
	return msg[:i+2], msg[i+4:]
}

// signedFields picks the SignedHeaders that head has, the last instance of
// each (RFC 6376 section 5.4.2), and returns their names and canonical
// form, in that order. Signing an absent field would make a later-added
// one break the signature, which we want only for fields we set.
func signedFields(head []byte) ([]string, []byte) {
	var buf [32]field
	fields := parseFields(buf[:0], head)
	names := make([]string, 0, len(SignedHeaders))
	canon := make([]byte, 0, len(head)+512)
	for k := range SignedHeaders {
		for i := len(fields) - 1; i >= 0; i-- {
			if bytes.EqualFold(fields[i].name, signedHeaderBytes[k]) {
				names = append(names, lowerSignedHeaders[k])
				canon = relaxedHeader(canon, fields[i].raw)
				break
			}
		}
	}
	return names, canon
}

var signedHeaderBytes, lowerSignedHeaders = func() ([][]byte, []string) {
	var b [][]byte
	var l []string
	for _, h := range SignedHeaders {
		b = append(b, []byte(h))
		l = append(l, strings.ToLower(h))
	}
	return b, l
}()

type field struct{ name, raw []byte }

// parseFields splits a header block into fields, continuation lines with
// the field they continue, each without its last CRLF.
func parseFields(out []field, head []byte) []field {
	for len(head) > 0 {
		end := 0
		for {
			i := bytes.IndexByte(head[end:], '\n')
			if i < 0 {
				end = len(head)
				break
			}
			end += i + 1
			if end >= len(head) || (head[end] != ' ' && head[end] != '\t') {
				break
			}
		}
		raw := bytes.TrimSuffix(head[:end], []byte("\r\n"))
		name, _, _ := bytes.Cut(raw, []byte(":"))
		out = append(out, field{name: bytes.TrimSpace(name), raw: raw})
		head = head[end:]
	}
	return out
}
