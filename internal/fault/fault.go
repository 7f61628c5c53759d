// Package fault holds mailer's one error type. Packages return *Error with a
// Code; only the edges (CLI exit codes, SMTP replies, HTTP statuses) map the
// code to something a program outside mailer reads.
package fault

import (
	"errors"
	"fmt"
)

// Code classifies an error by what the caller can do about it.
type Code string

// Codes, after benbjohnson/wtf: few enough that every edge can map them all.
const (
	Invalid     Code = "invalid"     // the input is wrong; asking again the same way fails again
	NotFound    Code = "not_found"   // a named thing does not exist
	Conflict    Code = "conflict"    // the request clashes with the current state
	Unavailable Code = "unavailable" // temporary: try again later (database busy, disk full)
	Internal    Code = "internal"    // a bug or an unexpected failure
	// Unauthenticated: who is asking is not proved (no login, a wrong,
	// expired or revoked password, session or token): prove it and ask again.
	Unauthenticated Code = "unauthenticated"
	// Forbidden: who is asking is known, and not allowed to do this (a
	// read token asked to change something, an owner another's list).
	Forbidden Code = "forbidden"
)

// Error is an error meant to be shown to a person: Message is written for them.
type Error struct {
	Code    Code
	Message string
	Err     error // the underlying cause, for logs and errors.Is; may be nil
}

func (e *Error) Error() string {
	if e.Err != nil && e.Message == "" {
		return e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with a formatted message. A %w verb in format also
// keeps the wrapped error as the cause.
func Errorf(code Code, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	return &Error{Code: code, Message: err.Error(), Err: errors.Unwrap(err)}
}

// Wrap attaches a code and a context to a cause: the message reads
// "context: cause", so that the cause is said once, by Wrap, and never
// again by the caller's format.
func Wrap(code Code, cause error, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	if cause != nil {
		msg += ": " + cause.Error()
	}
	return &Error{Code: code, Message: msg, Err: cause}
}

// Coded gives a cause a code and keeps its text as the message.
func Coded(code Code, cause error) *Error {
	return &Error{Code: code, Err: cause}
}

// Explain gives a cause a code and a message written in its place, for a
// cause whose own text would mislead or say too little (a driver's "database
// is locked" becomes what to do about it). The cause is kept for logs and
// errors.Is but not shown.
func Explain(code Code, cause error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: cause}
}

// CodeOf returns the code of the first *Error in err's chain, Internal for
// any other non-nil error and "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// MessageOf returns the text to show a person for err: the message of the
// first *Error in the chain, or a generic line for anything else so that
// internal details do not leak to strangers (the full error goes to the log).
func MessageOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Error()
	}
	return "internal error"
}
