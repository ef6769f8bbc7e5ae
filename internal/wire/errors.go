package wire

import (
	"errors"
	"strconv"
)

// The chunked decoding errors, worded as net/http's: a handler or a
// client reading a body sees them.
var (
	// ErrLineTooLong is returned for a chunk-size or trailer line longer
	// than the decoder accepts.
	ErrLineTooLong = errors.New("header line too long")

	errChunkedFraming = errors.New("malformed chunked encoding")
	errChunkTooLarge  = errors.New("http chunk length too large")
	errChunkSizeByte  = errors.New("invalid byte in chunk length")
	errChunkSizeEmpty = errors.New("empty hex number for chunk length")
	errChunkBareLF    = errors.New("chunked line ends with bare LF")
	errChunkCR        = errors.New("invalid CR in chunked line")
	errChunkOverhead  = errors.New("chunked encoding contains too much non-data")
	errTrailerTooLong = errors.New("http: suspiciously long trailer after chunked body")
	errTrailerField   = errors.New("http: trailer field that frames or routes the message")
)

// ErrObsFold is ParseHeader's error for a field line continued by obs-fold
// (RFC 9112 §5.2), which a server rejects or unfolds; ParseHeader rejects.
var ErrObsFold = errors.New("obsolete line folding")

var (
	// ErrMalformedResponse is matched (errors.Is) by every error
	// ReadResponse returns for bytes that are not a valid response.
	ErrMalformedResponse = errors.New("malformed HTTP response")

	// ErrHeaderTooLarge is a message head past its limit: ReadResponse
	// returns it when the status line and header section exceed the
	// limit (HeadScan.Scan, for any head).
	ErrHeaderTooLarge = errors.New("wire: message header too large")
)

// malformedError names what was wrong in a response, and the bytes.
type malformedError struct {
	what, value string
}

func malformed(what, value string) error { return &malformedError{what, value} }

func (e *malformedError) Error() string {
	const max = 80 // enough to recognize the line
	v := e.value
	if len(v) > max {
		v = v[:max] + "..."
	}
	return "wire: malformed " + e.what + ": " + strconv.Quote(v)
}

func (e *malformedError) Unwrap() error { return ErrMalformedResponse }
