package main

import (
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// An accessLog writes one line per request in the Combined Log Format
// (Apache's "combined", which most log tools read):
//
//	host ident user [time] "method uri proto" status bytes "referer" "user-agent"
//
// ident and user are always "-" (the server authenticates nobody), time
// is when the request's handler started, bytes is "-" for an empty body.
type accessLog struct {
	mu sync.Mutex // one Write per line, so lines never interleave
	w  io.Writer
}

func newAccessLog(w io.Writer) *accessLog { return &accessLog{w: w} }

func (l *accessLog) observe(r *http.Request, rec *recorder, begin time.Time, _ time.Duration) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	b := make([]byte, 0, 256)
	b = append(b, host...)
	b = append(b, " - - ["...)
	b = begin.AppendFormat(b, "02/Jan/2006:15:04:05 -0700")
	b = append(b, `] "`...)
	b = appendEscaped(b, r.Method)
	b = append(b, ' ')
	b = appendEscaped(b, r.RequestURI)
	b = append(b, ' ')
	b = appendEscaped(b, r.Proto)
	b = append(b, `" `...)
	b = strconv.AppendInt(b, int64(rec.status()), 10)
	b = append(b, ' ')
	if rec.bytes == 0 {
		b = append(b, '-')
	} else {
		b = strconv.AppendInt(b, rec.bytes, 10)
	}
	b = appendQuoted(b, r.Referer())
	b = appendQuoted(b, r.UserAgent())
	b = append(b, '\n')
	l.mu.Lock()
	l.w.Write(b)
	l.mu.Unlock()
}

// appendQuoted appends a space and s in quotes, "-" if s is empty.
func appendQuoted(b []byte, s string) []byte {
	if s == "" {
		return append(b, ` "-"`...)
	}
	b = append(b, ` "`...)
	b = appendEscaped(b, s)
	return append(b, '"')
}

// appendEscaped appends s as Apache logs a client's string: '"' and '\'
// escaped with '\', other bytes outside printable ASCII as \xHH, so that
// a client cannot end a field or forge a line.
func appendEscaped(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20 || c >= 0x7f:
			b = append(b, '\\', 'x', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return b
}
