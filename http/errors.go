package http

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/ringnet/ringnet/internal/wire"
)

// ErrServerClosed is returned by Serve and ListenAndServe after Shutdown or
// Close; it is net/http's value, so callers can test for either.
var ErrServerClosed = http.ErrServerClosed

var (
	errTooLarge = errors.New("http: request header too large")
	// errExpectation: an Expect other than 100-continue, answered 417.
	errExpectation = errors.New("http: unsupported Expect")
	// errLineTooLong: a chunk or trailer line past its limit, worded as
	// net/http's since a handler sees it.
	errLineTooLong = wire.ErrLineTooLong
)

// requestError is a request the server refuses before any handler runs:
// it is answered with status and the connection is closed.
type requestError struct {
	status int
	// text, when set, follows the status text in the reason phrase and the
	// body, as net/http does for its statusError ("400 Bad Request: missing
	// required Host header").
	text string
}

func (e *requestError) Error() string {
	if e.text == "" {
		return "http: " + http.StatusText(e.status)
	}
	return "http: " + http.StatusText(e.status) + ": " + e.text
}

func badRequest(text string) *requestError { return &requestError{status: 400, text: text} }

var (
	errBadRequest    = &requestError{status: http.StatusBadRequest}
	errHeaderTooBig  = &requestError{status: http.StatusRequestHeaderFieldsTooLarge}
	errURITooLong    = &requestError{status: http.StatusRequestURITooLong}
	errVersion       = &requestError{status: http.StatusHTTPVersionNotSupported, text: "unsupported protocol version"}
	errUnsupportedTE = &requestError{status: http.StatusNotImplemented}
	errMethodTooLong = &requestError{status: http.StatusNotImplemented, text: "method too long"}
	errObsFold       = badRequest("obsolete line folding is not accepted")
)

// appendErrorResponse appends the canned response for e, shaped like
// net/http's: plain text, Connection: close, no Content-Length (the
// connection is closed right after); and, unlike net/http's, a Date,
// which RFC 9110 §6.6.1 requires of every 4xx from a server with a clock.
func appendErrorResponse(b []byte, e *requestError) []byte {
	const headers = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"
	phrase := strconv.Itoa(e.status) + " " + http.StatusText(e.status)
	if e.text != "" {
		phrase += ": " + e.text
	}
	b = append(b, "HTTP/1.1 "...)
	b = append(b, phrase...)
	b = append(b, "\r\nDate: "...)
	b = time.Now().UTC().AppendFormat(b, http.TimeFormat)
	b = append(b, headers...)
	if e == errUnsupportedTE {
		// net/http does not echo the coding back (cross-site scripting).
		return append(b, "Unsupported transfer encoding"...)
	}
	return append(b, phrase...)
}
