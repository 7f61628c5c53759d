package esphooks

import (
	"bytes"
	"errors"
	"net/http"
)

var failingClient = &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
	return nil, errors.New("no network in fuzzing")
})}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func newRequest(b []byte) (*http.Request, error) {
	return http.NewRequest(http.MethodPost, "http://127.0.0.1/hooks/ses", bytes.NewReader(b))
}
