// Package maildir is a transport that writes each message into a Maildir
// instead of sending it: the default for trying mailer out on a machine
// without a mail server, and readable by mutt (mutt -f PATH).
package maildir

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"mailer/internal/delivery"
	"mailer/internal/fault"
)

// Transport writes into the Maildir at Dir, creating it if needed.
type Transport struct {
	Dir string
}

var counter atomic.Uint64

// Dial makes sure the Maildir exists.
func (t *Transport) Dial(context.Context) (delivery.Session, error) {
	for _, sub := range []string{"tmp", "new", "cur"} {
		if err := os.MkdirAll(filepath.Join(t.Dir, sub), 0o700); err != nil {
			return nil, &delivery.DialError{Err: err}
		}
	}
	host, _ := os.Hostname()
	return &session{dir: t.Dir, host: host}, nil
}

type session struct {
	dir, host string
}

// Send delivers as a local MDA does: write to tmp/, sync, rename into new/,
// so a reader never sees half a message. Return-Path and Delivered-To
// record the envelope, as Postfix's local delivery adds them. The rename
// is the end of the message: the gate holds it.
func (s *session) Send(env delivery.Envelope, msg []byte, gate delivery.Gate) error {
	from, to := env.From, env.To
	name, err := uniqueName(s.host)
	if err != nil {
		return err
	}
	tmp := filepath.Join(s.dir, "tmp", name)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return classify(err)
	}
	head := fmt.Sprintf("Return-Path: <%s>\r\nDelivered-To: %s\r\n", from, to)
	_, err = f.WriteString(head)
	if err == nil {
		_, err = f.Write(msg)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return classify(err)
	}
	if gate != nil {
		if _, err := gate(); err != nil { // nothing to announce to a directory
			os.Remove(tmp)
			return err
		}
	}
	if err := os.Rename(tmp, filepath.Join(s.dir, "new", name)); err != nil {
		os.Remove(tmp)
		return classify(err)
	}
	return nil
}

// classify reports a full disk as a temporary refusal (deferred, retried
// later) and other errors as they are.
func classify(err error) error {
	if pe, ok := err.(*os.PathError); ok && (pe.Err == syscall.ENOSPC || pe.Err == syscall.EDQUOT) {
		return &delivery.ReplyError{Stage: "DATA", Code: 452, Enhanced: "4.3.1", Message: "4.3.1 disk full: " + pe.Error()}
	}
	return fault.Wrap(fault.Unavailable, err, "maildir")
}

// uniqueName follows the Maildir convention time.unique.host.
func uniqueName(host string) (string, error) {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	now := time.Now()
	return strconv.FormatInt(now.Unix(), 10) + ".M" + strconv.Itoa(now.Nanosecond()/1000) + "P" + strconv.Itoa(os.Getpid()) +
		"Q" + strconv.FormatUint(counter.Add(1), 10) + "R" + hex.EncodeToString(b) + "." + host, nil
}

// Close does nothing: there is no connection.
func (s *session) Close() error { return nil }
