// Package memloop runs ringnet's HTTP server on an event loop whose
// "kernel" is memory: the bytes of a connection come from a slice and
// what the loop sends is counted, with no system call on the way. It is
// the instrument of the in-memory benchmark (bench/inmem): the whole
// loop-mode serve path (netfd's dispatcher, the HTTP engine, the loop's
// flush) costs what it costs there, without the kernel's noise.
//
// Package netfd and package http set the hooks below when they are
// linked in; nothing else uses them.
package memloop

import (
	"net"
	"net/http"
	"sync"
)

// Backend is the name netfd.NewLoops knows the memory loop kernel by. It
// is not one of netfd's backends: only this package's hooks make such
// loops.
const Backend = "memory"

// Conn is one in-memory connection: the loop delivers In, Rounds times,
// one delivery per pass, then end of file.
type Conn struct {
	In     []byte
	Rounds int
	Local  net.Addr
	Remote net.Addr

	mu     sync.Mutex
	sent   int64
	head   []byte
	closed chan struct{}
	once   sync.Once
}

// NewConn returns a connection that delivers in rounds times and keeps
// the first keep bytes the server sends.
func NewConn(in []byte, rounds, keep int) *Conn {
	return &Conn{
		In: in, Rounds: rounds,
		Local:  &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80},
		Remote: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000},
		head:   make([]byte, 0, keep), closed: make(chan struct{}),
	}
}

// Sent records p as sent by the server.
func (c *Conn) Sent(p []byte) {
	c.mu.Lock()
	c.sent += int64(len(p))
	if n := min(len(p), cap(c.head)-len(c.head)); n > 0 {
		c.head = append(c.head, p[:n]...)
	}
	c.mu.Unlock()
}

// Output returns how many bytes the server sent and the first of them.
func (c *Conn) Output() (int64, []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sent, c.head
}

// Close records that the server closed the connection.
func (c *Conn) Close() { c.once.Do(func() { close(c.closed) }) }

// Closed is closed once the server closed the connection.
func (c *Conn) Closed() <-chan struct{} { return c.closed }

// Attach hands c to loops made with Backend (a *netfd.Loops); set by
// package netfd.
var Attach func(loops any, c *Conn)

// ServeHTTP serves c with h on a ringhttp Server's event loop, in
// ModeAuto, and returns once the server closed c; set by package http.
var ServeHTTP func(h http.Handler, c *Conn) error
