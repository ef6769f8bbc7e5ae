package wire

import (
	"bytes"
	"errors"
)

// Errors of HeadScan.Scan.
var (
	// ErrNeedMore says the bytes given end before the head does
	// (HeadScan.Scan), or before a chunk line or the trailer section
	// does (a ChunkedReader on a Source that says it): call again once
	// more have arrived.
	ErrNeedMore = errors.New("wire: message head incomplete")
	// ErrBareLF is a line of the head ending in LF without CR (RFC 9112
	// §2.2: a recipient MAY accept it; we do not, so that no one reads
	// these lines differently).
	ErrBareLF = errors.New("wire: line ending in a bare LF")
	// ErrStartLineTooLong is a start line longer than HeadLimits.Line, or
	// one that has not ended within HeadLimits.Bytes.
	ErrStartLineTooLong = errors.New("wire: start line too long")
	// ErrTooManyFields is a head of more than HeadLimits.Fields field
	// lines.
	ErrTooManyFields = errors.New("wire: too many header fields")
)

// HeadLimits bounds a message head. Bytes is required; a zero Line or
// Fields bounds nothing.
type HeadLimits struct {
	Bytes  int // the whole head, empty lines before the start line included
	Line   int // the start line, without its CRLF
	Fields int // the field lines
}

// HeadScan finds the end of a message head (RFC 9112 §2.1: the start
// line, the field lines and the empty line after them) in the bytes
// received so far. It is the one head scanner: the server's for
// requests, on an event loop as on a goroutine, and the client's for
// responses (ReadResponse).
//
// Scan reads nothing: it is a function of the bytes it is given, which
// tells where the head ends or that it has not ended yet (ErrNeedMore).
// It keeps its place between calls, so that bytes given again are not
// looked at again: the work is linear in the bytes received however the
// head arrives. The zero HeadScan is ready to scan a head.
type HeadScan struct {
	start  int // the start line's first byte, past the empty lines skipped
	line   int // the first byte of the line being scanned
	scan   int // the next byte to look at for '\n'
	fields int // field lines seen
	// Scanned counts the bytes searched for line ends, over every head
	// scanned, so that tests can check that each is searched once.
	Scanned int
}

// Scan looks for the end of the head in buf, which holds the head from
// its first byte: the bytes of the previous call (if it said
// ErrNeedMore), maybe followed by more. It returns where the head ends,
// past the empty line that ends it, and where its start line starts:
// empty lines before it are skipped, as a server should (RFC 9112 §2.2);
// the caller that does not skip them checks start. start is returned with
// every error too.
//
// On ErrNeedMore the scan keeps its place; any other result ends it, and
// the next call scans a new head. Other errors: ErrBareLF,
// ErrStartLineTooLong, ErrTooManyFields, and ErrHeaderTooLarge for a
// head that has not ended within lim.Bytes.
func (s *HeadScan) Scan(buf []byte, lim HeadLimits) (start, end int, err error) {
	for s.scan < len(buf) {
		i := bytes.IndexByte(buf[s.scan:], '\n')
		if i < 0 {
			s.Scanned += len(buf) - s.scan
			s.scan = len(buf)
			break
		}
		s.Scanned += i + 1
		lf := s.scan + i
		s.scan = lf + 1
		if s.scan > lim.Bytes {
			return s.fail(s.tooLarge())
		}
		if lf == s.line || buf[lf-1] != '\r' {
			return s.fail(ErrBareLF)
		}
		switch {
		case lf-1 > s.line && s.line == s.start: // the start line
			if lim.Line > 0 && lf-1-s.start > lim.Line {
				return s.fail(ErrStartLineTooLong)
			}
		case lf-1 > s.line: // a field line
			if s.fields++; lim.Fields > 0 && s.fields > lim.Fields {
				return s.fail(ErrTooManyFields)
			}
		case s.line == s.start: // an empty line before the start line
			s.start = s.scan
		default: // the empty line that ends the head
			start = s.start
			*s = HeadScan{Scanned: s.Scanned}
			return start, lf + 1, nil
		}
		s.line = s.scan
	}
	if s.line == s.start && lim.Line > 0 && len(buf)-s.start > lim.Line {
		return s.fail(ErrStartLineTooLong)
	}
	if len(buf) >= lim.Bytes {
		// The head cannot end within the limit: its last byte would be
		// past it.
		return s.fail(s.tooLarge())
	}
	return s.start, 0, ErrNeedMore
}

// tooLarge is the error for a head past lim.Bytes: while the start line
// has not ended, it is the line that is too long.
func (s *HeadScan) tooLarge() error {
	if s.line == s.start {
		return ErrStartLineTooLong
	}
	return ErrHeaderTooLarge
}

// fail ends the scan with err.
func (s *HeadScan) fail(err error) (start, end int, _ error) {
	start = s.start
	*s = HeadScan{Scanned: s.Scanned}
	return start, 0, err
}
