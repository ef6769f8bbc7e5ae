package compat_test

import (
	"io"
	"net"
	"testing"
)

func TestExchangeTCP(t *testing.T)  { compat(t, exchange("tcp")) }
func TestExchangeUnix(t *testing.T) { compat(t, exchange("unix")) }

// exchange is a fixed request/response exchange in rounds of growing size,
// then an orderly shutdown: the client half-closes, the server sees EOF,
// says goodbye and closes, the client reads to EOF. It also records the
// addresses both ends report.
func exchange(network string) scenario {
	return func(e *env, o *obs) {
		c, s, laddr := e.pair(network)
		path := ""
		if network == "unix" {
			path = laddr.String()
		}
		o.set("listener.addr", addrDesc(laddr, path))
		o.set("client.local", addrDesc(c.LocalAddr(), path))
		o.set("client.remote", addrDesc(c.RemoteAddr(), path))
		o.set("server.local", addrDesc(s.LocalAddr(), path))
		o.set("server.remote", addrDesc(s.RemoteAddr(), path))
		o.setf("addrs.crossmatch", "%v",
			c.LocalAddr().String() == s.RemoteAddr().String() &&
				c.RemoteAddr().String() == s.LocalAddr().String())

		sizes := []int{1, 1000, 100000}
		srv := make(chan *obs, 1)
		go func() {
			so := &obs{}
			defer func() { srv <- so }()
			for i, size := range sizes {
				buf := make([]byte, size)
				n, err := io.ReadFull(s, buf)
				so.io(roundName(i)+".read", n, err)
				so.data(roundName(i)+".got", buf[:n])
				for j := range buf {
					buf[j]++
				}
				n, err = s.Write(buf)
				so.io(roundName(i)+".reply", n, err)
			}
			data, err := readToErr(s, 4096)
			so.data("tail.got", data)
			so.err("tail.end", err)
			n, err := s.Write([]byte("bye"))
			so.io("bye.write", n, err)
			so.err("close", s.Close())
		}()
		for i, size := range sizes {
			req := pattern(size, byte(i))
			n, err := c.Write(req)
			o.io(roundName(i)+".write", n, err)
			resp := make([]byte, size)
			n, err = io.ReadFull(c, resp)
			o.io(roundName(i)+".read", n, err)
			o.data(roundName(i)+".resp", resp[:n])
		}
		o.err("closewrite", closeWrite(c))
		data, err := readToErr(c, 4096)
		o.data("final.got", data)
		o.err("final.end", err)
		o.merge("server.", <-srv)
		o.err("close", c.Close())
	}
}

func roundName(i int) string { return "round" + string(rune('0'+i)) }

func TestDialRefused(t *testing.T) {
	compat(t, func(e *env, o *obs) {
		ln := e.listen("tcp")
		addr := ln.Addr().String()
		o.err("listener.close", ln.Close())
		c, err := e.dial("tcp", addr)
		o.setf("conn.nil", "%v", c == nil)
		o.err("dial", err)
	})
}

// TestAcceptAfterClose: a blocked Accept and a later one both return
// net.ErrClosed with Op "accept"; a second Close reports the closed
// listener; a unix listener's socket file is gone and dialing it fails.
func TestAcceptAfterCloseTCP(t *testing.T)  { compat(t, acceptAfterClose("tcp")) }
func TestAcceptAfterCloseUnix(t *testing.T) { compat(t, acceptAfterClose("unix")) }

func acceptAfterClose(network string) scenario {
	return func(e *env, o *obs) {
		ln := e.listen(network)
		addr := ln.Addr()
		path := ""
		if network == "unix" {
			path = addr.String()
		}
		type accepted struct {
			c   net.Conn
			err error
		}
		ch := make(chan accepted, 1)
		go func() {
			c, err := ln.Accept()
			ch <- accepted{c, err}
		}()
		o.err("close", ln.Close())
		a := <-ch
		o.setf("blocked.conn.nil", "%v", a.c == nil)
		o.err("blocked.accept", a.err)
		c, err := ln.Accept()
		o.setf("later.conn.nil", "%v", c == nil)
		o.err("later.accept", err)
		o.err("close.again", ln.Close())
		o.set("addr.after.close", addrDesc(ln.Addr(), path))
		if c, err := e.dial(network, addr.String()); err == nil {
			o.set("dial", "connected")
			c.Close()
		} else {
			o.err("dial", err)
		}
	}
}
