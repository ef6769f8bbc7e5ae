package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/url"
	"sync"
	"time"
)

// The Transport parses a response head into an http.Header, a map, which
// loses the order of the fields; curl -i and -v show them as received. A
// headTap recovers them from the connection itself: it sits between the
// Transport and the (plaintext) connection and hands every request head
// written and response head read to a headLog, as the bytes go by.

// A headLog collects the heads of a fetch, in the order they passed. With
// verbose set it also prints each as it passes, curl -v style.
type headLog struct {
	verbose io.Writer // -v: where heads and notes go as they happen; nil for none

	mu        sync.Mutex
	responses [][]byte  // the transfer's response heads, raw, 1xx and redirects included
	cur       *transfer // the transfer under way; nil between transfers
}

// begin starts a transfer to u: its heads and times are collected from
// now on.
func (l *headLog) begin(u *url.URL) *transfer {
	t := &transfer{url: u, start: time.Now()}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.responses, l.cur = nil, t
	return t
}

// finish ends the transfer t: nothing changes it any more.
func (l *headLog) finish(t *transfer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	t.end = time.Now()
	if l.cur == t {
		l.cur = nil
	}
}

// connected records that the transfer made a connection to addr.
func (l *headLog) connected(addr net.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cur != nil {
		l.cur.connected, l.cur.remote = time.Now(), addr
	}
}

// received records that the transfer's response bytes arrive from addr.
func (l *headLog) received(addr net.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cur != nil && l.cur.firstByte.IsZero() {
		l.cur.firstByte, l.cur.remote = time.Now(), addr
	}
}

// redirected records that the transfer follows its redirects'th redirect.
func (l *headLog) redirected(redirects int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cur != nil {
		l.cur.redirects = redirects
	}
}

// head records a complete head, sent ('>') or received ('<').
func (l *headLog) head(dir byte, h []byte) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if dir == '<' {
		l.responses = append(l.responses, bytes.Clone(h))
	}
	if l.verbose == nil {
		return
	}
	var b bytes.Buffer
	for line := range bytes.Lines(h) {
		b.WriteByte(dir)
		b.WriteByte(' ')
		b.Write(bytes.TrimRight(line, "\r\n"))
		b.WriteByte('\n')
	}
	l.verbose.Write(b.Bytes())
}

// note prints a "* " line with -v.
func (l *headLog) note(format string, args ...any) {
	if l.verbose == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.verbose, "* "+format+"\n", args...)
}

// responseHeads returns the response heads of the transfer so far.
func (l *headLog) responseHeads() [][]byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.responses
}

// maxHead bounds what a headTap keeps of one head; the Transport rejects
// larger ones anyway.
const maxHead = 1 << 20

// A headTap passes its connection's bytes through and cuts the heads out
// of them. An exchange goes: the request head (the first bytes written),
// then response heads read until a final one (1xx heads but 101 are
// followed by another); what follows a head either way is body, which
// the tap ignores until the next request. The Transport may read and
// write at once (a body writer), hence the lock.
//
// It does not pass syscall.Conn on: the Transport then skips its
// liveness check of an idle connection, which matters little to one
// fetch and would misread the TLS records under a tapped TLS connection.
type headTap struct {
	net.Conn
	log *headLog

	mu       sync.Mutex
	state    tapState
	sent     []byte // the request head so far
	received []byte // the response head so far
}

type tapState int

const (
	tapIdle     tapState = iota // between exchanges: the next write starts a request head
	tapRequest                  // writing the request head
	tapResponse                 // the request head is out; reading response heads
)

func (c *headTap) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.wrote(p)
	c.mu.Unlock()
	return c.Conn.Write(p)
}

func (c *headTap) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.log.received(c.RemoteAddr())
	}
	c.mu.Lock()
	c.read(p[:n])
	c.mu.Unlock()
	return n, err
}

// wrote takes the request head out of p, the bytes about to be written.
func (c *headTap) wrote(p []byte) {
	switch c.state {
	case tapIdle:
		c.state, c.sent = tapRequest, c.sent[:0]
		fallthrough
	case tapRequest:
		c.sent = appendBounded(c.sent, p)
		if n := headEnd(c.sent); n >= 0 {
			c.log.head('>', c.sent[:n])
			c.state, c.received = tapResponse, c.received[:0]
		}
	}
}

// read takes response heads out of p, the bytes just read.
func (c *headTap) read(p []byte) {
	if c.state != tapResponse {
		return // a response body, or bytes nobody asked for
	}
	c.received = appendBounded(c.received, p)
	for c.state == tapResponse {
		n := headEnd(c.received)
		if n < 0 {
			return
		}
		h := c.received[:n]
		c.log.head('<', h)
		if !informational(h) {
			c.state = tapIdle
		}
		c.received = append(c.received[:0], c.received[n:]...)
	}
}

func appendBounded(b, p []byte) []byte {
	return append(b, p[:min(len(p), max(maxHead-len(b), 0))]...)
}

// headEnd returns the length of the head at the start of b, up to and
// including the empty line that ends it, or -1 if b holds no whole head.
// Like the parsers, it takes a bare LF as a line end.
func headEnd(b []byte) int {
	for i := 0; ; {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			return -1
		}
		i += j + 1
		switch {
		case i < len(b) && b[i] == '\n':
			return i + 1
		case i+1 < len(b) && b[i] == '\r' && b[i+1] == '\n':
			return i + 2
		}
	}
}

// informational reports whether the response head h is a 1xx other than
// 101 Switching Protocols: another head follows it.
func informational(h []byte) bool {
	_, rest, _ := bytes.Cut(h, []byte(" "))
	return len(rest) >= 3 && rest[0] == '1' && string(rest[:3]) != "101"
}
