package compat_test

import (
	"errors"
	"net"
)

// readToErr reads from c with a buffer of bufSize bytes until an error and
// returns what it read and that error.
func readToErr(c net.Conn, bufSize int) ([]byte, error) {
	var data []byte
	buf := make([]byte, bufSize)
	for {
		n, err := c.Read(buf)
		data = append(data, buf[:n]...)
		if err != nil {
			return data, err
		}
	}
}

// pattern returns n bytes of a fixed, non-repeating-looking sequence.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	x := uint32(seed) + 1
	for i := range b {
		x = x*1664525 + 1013904223
		b[i] = byte(x >> 24)
	}
	return b
}

var errNoMethod = errors.New("conn lacks the method")

func closeWrite(c net.Conn) error {
	if x, ok := c.(interface{ CloseWrite() error }); ok {
		return x.CloseWrite()
	}
	return errNoMethod
}

func closeRead(c net.Conn) error {
	if x, ok := c.(interface{ CloseRead() error }); ok {
		return x.CloseRead()
	}
	return errNoMethod
}

func setLinger(c net.Conn, sec int) error {
	if x, ok := c.(interface{ SetLinger(int) error }); ok {
		return x.SetLinger(sec)
	}
	return errNoMethod
}

func setReadBuffer(c net.Conn, n int) error {
	if x, ok := c.(interface{ SetReadBuffer(int) error }); ok {
		return x.SetReadBuffer(n)
	}
	return errNoMethod
}

func setWriteBuffer(c net.Conn, n int) error {
	if x, ok := c.(interface{ SetWriteBuffer(int) error }); ok {
		return x.SetWriteBuffer(n)
	}
	return errNoMethod
}

// merge appends other's fields to o with prefix before each name; it is how
// a goroutine's observations join the scenario's at a fixed point.
func (o *obs) merge(prefix string, other *obs) {
	for _, f := range other.fields {
		o.set(prefix+f.name, f.value)
	}
}
