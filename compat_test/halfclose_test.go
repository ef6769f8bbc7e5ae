package compat_test

import (
	"io"
	"testing"
)

func TestHalfCloseTCP(t *testing.T)  { compat(t, halfClose("tcp")) }
func TestHalfCloseUnix(t *testing.T) { compat(t, halfClose("unix")) }

// halfClose: CloseWrite, the peer reads the request and EOF (twice), then
// replies on the still-open direction; and CloseRead, after which the local
// Read result is recorded and writing still works.
func halfClose(network string) scenario {
	return func(e *env, o *obs) {
		c, s, _ := e.pair(network)
		srv := make(chan *obs, 1)
		go func() {
			so := &obs{}
			defer func() { srv <- so }()
			data, err := readToErr(s, 3)
			so.data("got", data)
			so.err("end", err)
			n, err := s.Read(make([]byte, 8))
			so.io("read.again", n, err)
			n, err = s.Write([]byte("response"))
			so.io("reply", n, err)
			so.err("closewrite", closeWrite(s))
		}()
		n, err := c.Write([]byte("request"))
		o.io("write", n, err)
		o.err("closewrite", closeWrite(c))
		data, err := readToErr(c, 3)
		o.data("got", data)
		o.err("end", err)
		o.merge("server.", <-srv)
		o.err("close", c.Close())
		o.err("server.close", s.Close())

		c2, s2, _ := e.pair(network)
		o.err("closeread", closeRead(c2))
		n, err = c2.Read(make([]byte, 8))
		o.io("closeread.read", n, err)
		n, err = c2.Read(make([]byte, 8))
		o.io("closeread.read.again", n, err)
		n, err = c2.Write([]byte("still open"))
		o.io("closeread.write", n, err)
		buf := make([]byte, 10)
		n, err = io.ReadFull(s2, buf)
		o.io("closeread.peer.read", n, err)
		o.data("closeread.peer.got", buf[:n])
		o.err("closeread.closewrite", closeWrite(c2))
		data, err = readToErr(s2, 8)
		o.data("closeread.peer.tail", data)
		o.err("closeread.peer.end", err)
	}
}

// TestWriteAfterCloseWrite: writing after CloseWrite fails with EPIPE, the
// peer sees only EOF, and the other direction still works.
func TestWriteAfterCloseWrite(t *testing.T) {
	compat(t, func(e *env, o *obs) {
		c, s, _ := e.pair("tcp")
		o.err("closewrite", closeWrite(c))
		n, err := c.Write([]byte("x"))
		o.io("write", n, err)
		n, err = c.Write([]byte("y"))
		o.io("write.again", n, err)
		o.err("closewrite.again", closeWrite(c))
		data, err := readToErr(s, 8)
		o.data("peer.got", data)
		o.err("peer.end", err)
		n, err = s.Write([]byte("back"))
		o.io("peer.write", n, err)
		buf := make([]byte, 4)
		n, err = io.ReadFull(c, buf)
		o.io("read", n, err)
		o.data("read.got", buf[:n])
	})
}
