package compat_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ringnet/ringnet/netfd"
)

// The loop-mode scenarios: netfd.Loops on epoll and on io_uring must look
// the same to the client and to the LoopHandler, byte for byte
// (loops_harness_test.go runs them). Each records what the client reads
// and the class of every error, and what the handler was given: the lines
// it consumed, OnEOF, what the LoopConn methods returned, and OnClose's
// error. The protocols are lock-step wherever an observation would depend
// on how the bytes were split between receives (8 KiB provided buffers on
// io_uring, 64 KiB reads on epoll).

func TestLoopEchoTranscript(t *testing.T) { compatLoops(t, echoTranscript(0)) }

// TestLoopEchoTranscriptBackPressure runs the transcript with a 16 KiB
// MaxQueued, so the big echoes stop the loop reading and the held bytes
// come back through the paused path.
func TestLoopEchoTranscriptBackPressure(t *testing.T) { compatLoops(t, echoTranscript(16<<10)) }

func TestLoopHalfClose(t *testing.T)    { compatLoops(t, loopHalfClose) }
func TestLoopPeerReset(t *testing.T)    { compatLoops(t, loopPeerReset) }
func TestLoopCloseFlushes(t *testing.T) { compatLoops(t, loopCloseFlushes) }
func TestLoopsCloseOpen(t *testing.T)   { compatLoops(t, loopsCloseOpen) }
func TestLoopModeSwitch(t *testing.T)   { compatLoops(t, loopModeSwitch) }

// lineOf returns a line of n bytes, its newline included, of pattern bytes.
func lineOf(n int, seed byte) []byte {
	b := pattern(n, seed)
	for i, x := range b {
		if x == '\n' {
			b[i] = ' '
		}
	}
	b[n-1] = '\n'
	return b
}

// A loopStep is one lock-step exchange: the client writes each of writes,
// then reads echo, the lines they complete.
type loopStep struct {
	name   string
	writes [][]byte
	echo   []byte
}

func transcriptSteps() []loopStep {
	one := func(name string, line []byte) loopStep { return loopStep{name, [][]byte{line}, line} }
	str := func(s string) []byte { return []byte(s) }
	var many []byte
	for i := range 100 {
		many = append(many, lineOf(1+(i*i*37)%4000, byte(i))...)
	}
	big := lineOf(256<<10, 8)
	held := lineOf(100<<10, 9)
	return []loopStep{
		one("empty", str("\n")), // 1 byte
		one("byte", str("a\n")),
		one("short", str("hello, loop\n")),
		one("two", str("first\nsecond\n")),
		{"pieces", [][]byte{str("par"), str("ti"), str("al\n")}, str("partial\n")},
		one("4k-1", lineOf(4<<10-1, 1)),
		one("4k", lineOf(4<<10, 2)),
		one("4k+1", lineOf(4<<10+1, 3)),
		one("8k+1", lineOf(8<<10+1, 4)),
		one("64k", lineOf(64<<10, 5)),
		one("64k+1", lineOf(64<<10+1, 6)),
		one("256k", lineOf(256<<10, 7)),
		{"256k.split", [][]byte{big[:100000], big[100000:]}, big},
		one("many", many),
		// A partial line waits in the loop while the client waits for
		// the echo of the line before it.
		{"straddle", [][]byte{str("X\nYY")}, str("X\n")},
		{"straddle.end", [][]byte{str("Y\n")}, str("YYY\n")},
		{"held", [][]byte{append(str("Z\n"), held[:len(held)-1]...)}, str("Z\n")},
		{"held.end", [][]byte{str("\n")}, held},
	}
}

// echoTranscript: a client sends messages of 1 B to 256 KiB, one at a
// time, each waiting for its echo; the handler consumes whole lines only
// and echoes each. Then the client sends an unterminated line and
// half-closes: OnEOF sees it unconsumed, answers and closes.
func echoTranscript(maxQueued int) scenario {
	return func(e *env, o *obs) {
		h := newLoopHandler()
		h.open = func(c *netfd.LoopConn, lc *loopConn) {
			lc.rec(func(o *obs) {
				o.set("local", addrDesc(c.LocalAddr(), ""))
				o.set("remote", addrDesc(c.RemoteAddr(), ""))
			})
		}
		h.data = func(c *netfd.LoopConn, lc *loopConn, in []byte) int {
			return lc.lines(in, func(line, _ []byte) lineAction {
				if n, err := c.Write(line); n != len(line) || err != nil {
					lc.rec(func(o *obs) { o.io(fmt.Sprintf("line%d.write", len(lc.lineLens)), n, err) })
				}
				return lineNext
			})
		}
		h.eof = func(c *netfd.LoopConn, lc *loopConn) {
			lc.rec(func(o *obs) {
				lc.recordLines(o, "lines")
				o.data("eof.kept", lc.kept)
				n, err := c.Write(fmt.Appendf(nil, "kept %q\n", lc.kept))
				o.io("eof.write", n, err)
			})
			err := lc.closeConn(c)
			lc.rec(func(o *obs) { o.err("eof.close", err) })
		}
		ls := e.serveLoops(netfd.LoopConfig{MaxQueued: maxQueued}, h)
		c, err := e.dial("tcp", ls.addr)
		if err != nil {
			e.t.Fatalf("dial: %v", err)
		}
		e.checkBackend(c)
		lc := <-h.opened
		o.setf("addrs.crossmatch", "%v", lc.local == c.RemoteAddr().String() && lc.remote == c.LocalAddr().String())

		for i, st := range transcriptSteps() {
			name := fmt.Sprintf("step%02d.%s", i, st.name)
			wrote, werr := 0, error(nil)
			for _, w := range st.writes {
				n, err := c.Write(w)
				wrote += n
				if err != nil {
					werr = err
					break
				}
			}
			o.setf(name+".wrote", "%d", wrote)
			o.set(name+".write.class", errClass(werr))
			got := make([]byte, len(st.echo))
			n, err := io.ReadFull(c, got)
			o.io(name+".read", n, err)
			o.data(name+".echo", got[:n])
			e.check(o, name+".echo.ok", bytes.Equal(got[:n], st.echo),
				"echo of %d bytes: %d bytes back (%v), or they differ", len(st.echo), n, err)
			if err != nil {
				break
			}
		}
		n, err := c.Write([]byte("unterminated"))
		o.io("tail.write", n, err)
		o.err("closewrite", closeWrite(c))
		data, err := readToErr(c, 4096)
		o.data("final.got", data)
		o.err("final.end", err)
		<-lc.closed
		e.check(o, "onclose.nil", lc.closeErr == nil, "OnClose(%v) after Close, want nil", lc.closeErr)
		o.merge("server.", lc.obs())
		ls.shutdown(o)
	}
}

// loopHalfClose: (a) the client half-closes after a request: OnEOF sees
// it all, replies and closes; the client reads the reply, then EOF. (b)
// The handler queues 2 MiB and calls CloseWrite at once: the client gets
// the 2 MiB, then EOF, and the handler still receives what the client
// sends after; its write after the client's half-close fails on its own
// shut-down side. (c) CloseWrite with nothing queued, then the client
// closes.
func loopHalfClose(e *env, o *obs) {
	bulk := pattern(2<<20, 42)
	roles := []string{"a", "b", "c"}
	var opened atomic.Int32
	h := newLoopHandler()
	h.open = func(c *netfd.LoopConn, lc *loopConn) {
		lc.role = roles[opened.Add(1)-1]
		switch lc.role {
		case "b":
			n, err := c.Write(bulk)
			q := c.Queued()
			cw := c.CloseWrite()
			lc.rec(func(o *obs) {
				o.io("open.write", n, err)
				o.setf("open.queued", "%d", q)
				o.err("open.closewrite", cw)
			})
		case "c":
			cw := c.CloseWrite()
			lc.rec(func(o *obs) { o.err("open.closewrite", cw) })
		}
	}
	h.data = func(c *netfd.LoopConn, lc *loopConn, in []byte) int {
		lc.got = append(lc.got, in...)
		return len(in)
	}
	h.eof = func(c *netfd.LoopConn, lc *loopConn) {
		lc.rec(func(o *obs) {
			o.data("eof.got", lc.got)
			switch lc.role {
			case "a":
				n, err := c.Write(append([]byte("reply to "), lc.got...))
				o.io("eof.write", n, err)
			case "b":
				n, err := c.Write([]byte("late"))
				o.io("eof.write", n, err)
				o.setf("eof.queued", "%d", c.Queued())
			}
		})
		err := lc.closeConn(c)
		lc.rec(func(o *obs) { o.err("eof.close", err) })
	}
	ls := e.serveLoops(netfd.LoopConfig{}, h)
	dial := func() (net.Conn, *loopConn) {
		c, err := e.dial("tcp", ls.addr)
		if err != nil {
			e.t.Fatalf("dial: %v", err)
		}
		e.checkBackend(c)
		return c, <-h.opened
	}
	buf := make([]byte, 8)

	ca, lca := dial()
	n, err := ca.Write([]byte("request body"))
	o.io("a.write", n, err)
	o.err("a.closewrite", closeWrite(ca))
	data, err := readToErr(ca, 5)
	o.data("a.got", data)
	o.err("a.end", err)
	n, err = ca.Read(buf)
	o.io("a.read.again", n, err)
	<-lca.closed
	e.check(o, "a.onclose.nil", lca.closeErr == nil, "OnClose(%v) after Close, want nil", lca.closeErr)
	o.merge("a.server.", lca.obs())

	cb, lcb := dial()
	data, err = readToErr(cb, 64<<10)
	o.data("b.got", data)
	e.check(o, "b.got.ok", bytes.Equal(data, bulk), "read %d bytes before %v, want the %d queued", len(data), err, len(bulk))
	o.err("b.end", err)
	n, err = cb.Write([]byte("still "))
	o.io("b.write1", n, err)
	n, err = cb.Write([]byte("receiving"))
	o.io("b.write2", n, err)
	o.err("b.closewrite", closeWrite(cb))
	n, err = cb.Read(buf)
	o.io("b.read.again", n, err)
	<-lcb.closed
	// The write after its own CloseWrite fails: OnClose says why.
	e.check(o, "b.onclose.epipe", errors.Is(lcb.closeErr, syscall.EPIPE), "OnClose(%v), want EPIPE", lcb.closeErr)
	o.merge("b.server.", lcb.obs())

	cc, lcc := dial()
	n, err = cc.Read(buf)
	o.io("c.read", n, err)
	n, err = cc.Write([]byte("x"))
	o.io("c.write", n, err)
	o.err("c.close", cc.Close())
	<-lcc.closed
	e.check(o, "c.onclose.nil", lcc.closeErr == nil, "OnClose(%v) after Close, want nil", lcc.closeErr)
	o.merge("c.server.", lcc.obs())
	ls.shutdown(o)
}

// waitEv waits for the handler of lc to send want on lc.ev and records the
// events it sent before, if any, but for what it kept: a partial line may
// arrive in pieces.
func waitEv(o *obs, name string, lc *loopConn, want string) {
	var before []string
	for ev := range lc.ev {
		if ev == want {
			break
		}
		if !strings.HasPrefix(ev, "kept ") {
			before = append(before, ev)
		}
	}
	if len(before) > 0 {
		o.set(name+".events.before", strings.Join(before, "|"))
	}
}

// lineServer is a handler for the reset and Loops.Close scenarios: it
// echoes lines, answers "flood" with the 16 MiB of flood (more than the
// kernel buffers of both ends hold, so most stays queued in the loop), and
// tells the scenario what it keeps unconsumed.
func lineServer(flood []byte) *loopHandler {
	h := newLoopHandler()
	h.data = func(c *netfd.LoopConn, lc *loopConn, in []byte) int {
		n := lc.lines(in, func(line, _ []byte) lineAction {
			if string(line) == "flood\n" {
				n, err := c.Write(flood)
				lc.rec(func(o *obs) { o.io("flood.write", n, err) })
				lc.ev <- "flooded"
				return lineNext
			}
			c.Write(line)
			return lineNext
		})
		if len(lc.kept) > 0 {
			lc.ev <- "kept " + string(lc.kept)
		}
		return n
	}
	h.eof = func(c *netfd.LoopConn, lc *loopConn) {
		lc.rec(func(o *obs) { o.data("eof.kept", lc.kept) })
		err := lc.closeConn(c)
		lc.rec(func(o *obs) { o.err("eof.close", err) })
	}
	return h
}

// loopPeerReset: the client sets SO_LINGER 0 and closes, which resets the
// connection: (data) after an exchange, (held) while the handler holds a
// partial line, (flood) while 16 MiB wait in the loop to be sent and the
// loop has stopped reading for back-pressure. OnClose must get an error
// that is ECONNRESET, and no OnEOF.
func loopPeerReset(e *env, o *obs) {
	flood := pattern(16<<20, 7)
	h := lineServer(flood)
	ls := e.serveLoops(netfd.LoopConfig{}, h)
	for _, role := range []string{"data", "held", "flood"} {
		c, err := e.dial("tcp", ls.addr)
		if err != nil {
			e.t.Fatalf("dial: %v", err)
		}
		e.checkBackend(c)
		lc := <-h.opened
		var send, echo string
		switch role {
		case "data":
			send, echo = "data\n", "data\n"
		case "held":
			send, echo = "whole\npart", "whole\n"
		case "flood":
			o.err(role+".setreadbuffer", setReadBuffer(c, 64<<10))
			send = "flood\n"
		}
		n, err := c.Write([]byte(send))
		o.io(role+".write", n, err)
		switch role {
		case "held":
			waitEv(o, role, lc, "kept part")
		case "flood":
			waitEv(o, role, lc, "flooded")
		}
		got := make([]byte, len(echo))
		if role == "flood" {
			// Sending has begun: the loop is past the pass that stopped
			// its reading.
			got = make([]byte, 64<<10)
		}
		n, err = io.ReadFull(c, got)
		o.io(role+".read", n, err)
		if role == "flood" {
			e.check(o, role+".read.prefix", bytes.Equal(got[:n], flood[:n]), "read bytes that are not the flood's")
		} else {
			o.data(role+".got", got[:n])
		}
		o.err(role+".setlinger", setLinger(c, 0))
		o.err(role+".close", c.Close())
		<-lc.closed
		e.check(o, role+".onclose.reset", errors.Is(lc.closeErr, syscall.ECONNRESET),
			"OnClose(%v), want ECONNRESET", lc.closeErr)
		var oe *net.OpError
		o.setf(role+".onclose.opError", "%v", errors.As(lc.closeErr, &oe))
		o.merge(role+".server.", lc.obs())
	}
	ls.shutdown(o)
}

// loopCloseFlushes: the handler queues 4 MiB in three writes and closes;
// the client, which starts reading only then, gets every byte, then EOF,
// and OnClose gets nil. What the LoopConn's methods return after Close is
// recorded too.
func loopCloseFlushes(e *env, o *obs) {
	data := pattern(4<<20, 4)
	h := newLoopHandler()
	h.data = func(c *netfd.LoopConn, lc *loopConn, in []byte) int {
		return lc.lines(in, func(line, _ []byte) lineAction {
			n1, err1 := c.Write(data[:1])
			n2, err2 := c.Write(data[1 : 1<<20])
			n3, err3 := c.Write(data[1<<20:])
			queued := c.Queued()
			cerr := lc.closeConn(c)
			queuedAfter := c.Queued()
			nl, errl := c.Write([]byte("late"))
			cerr2 := c.Close()
			cwerr := c.CloseWrite()
			var detached net.Conn
			var derr error
			calls := 0
			c.Detach(func(nc net.Conn, err error) { detached, derr = nc, err; calls++ })
			lc.rec(func(o *obs) {
				o.data("line", line)
				o.io("write1", n1, err1)
				o.io("write2", n2, err2)
				o.io("write3", n3, err3)
				o.setf("queued", "%d", queued)
				o.err("close", cerr)
				o.setf("queued.after.close", "%d", queuedAfter)
				o.io("write.after.close", nl, errl)
				o.err("close.again", cerr2)
				o.err("closewrite.after.close", cwerr)
				o.setf("detach.after.close.calls", "%d", calls)
				o.setf("detach.after.close.conn", "%v", detached != nil)
				o.err("detach.after.close", derr)
			})
			lc.ev <- "closed"
			return lineNext
		})
	}
	ls := e.serveLoops(netfd.LoopConfig{}, h)
	c, err := e.dial("tcp", ls.addr)
	if err != nil {
		e.t.Fatalf("dial: %v", err)
	}
	e.checkBackend(c)
	lc := <-h.opened
	n, err := c.Write([]byte("go\n"))
	o.io("write", n, err)
	waitEv(o, "handler", lc, "closed")
	got, err := readToErr(c, 64<<10)
	o.data("got", got)
	e.check(o, "got.ok", bytes.Equal(got, data), "read %d bytes, want the %d queued", len(got), len(data))
	o.err("end", err)
	<-lc.closed
	e.check(o, "onclose.nil", lc.closeErr == nil, "OnClose(%v) after Close, want nil", lc.closeErr)
	o.merge("server.", lc.obs())
	ls.shutdown(o)
}

// loopsCloseOpen: Loops.Close with three connections open: (idle) after
// an exchange, (held) with a partial line held by the handler, (flood)
// with 16 MiB queued. Every OnClose gets net.ErrClosed before Close
// returns; the clients read EOF (the flood client after a prefix of the
// flood: what was queued in the loop is dropped). Attach then fails.
func loopsCloseOpen(e *env, o *obs) {
	flood := pattern(16<<20, 5)
	h := lineServer(flood)
	ls := e.serveLoops(netfd.LoopConfig{}, h)
	roles := []string{"idle", "held", "flood"}
	var cs []net.Conn
	var lcs []*loopConn
	for _, role := range roles {
		c, err := e.dial("tcp", ls.addr)
		if err != nil {
			e.t.Fatalf("dial: %v", err)
		}
		e.checkBackend(c)
		lc := <-h.opened
		cs, lcs = append(cs, c), append(lcs, lc)
		switch role {
		case "idle", "held":
			n, err := c.Write([]byte(role + "\n"))
			o.io(role+".write", n, err)
			got := make([]byte, len(role)+1)
			n, err = io.ReadFull(c, got)
			o.io(role+".read", n, err)
			o.data(role+".got", got[:n])
			if role == "held" {
				n, err = c.Write([]byte("partial"))
				o.io(role+".write.partial", n, err)
				waitEv(o, role, lc, "kept partial")
			}
		case "flood":
			o.err(role+".setreadbuffer", setReadBuffer(c, 64<<10))
			n, err := c.Write([]byte("flood\n"))
			o.io(role+".write", n, err)
			waitEv(o, role, lc, "flooded")
			got := make([]byte, 64<<10)
			n, err = io.ReadFull(c, got)
			o.io(role+".read", n, err)
			e.check(o, role+".read.prefix", bytes.Equal(got[:n], flood[:n]), "read bytes that are not the flood's")
		}
	}
	ls.shutdown(o)
	for i, lc := range lcs {
		select {
		case <-lc.closed:
			o.set(roles[i]+".onclose.before.return", "true")
		default:
			o.set(roles[i]+".onclose.before.return", "false")
			<-lc.closed
		}
		e.check(o, roles[i]+".onclose.closed", errors.Is(lc.closeErr, net.ErrClosed),
			"OnClose(%v), want net.ErrClosed", lc.closeErr)
		o.merge(roles[i]+".server.", lc.obs())
	}
	err := ls.g.Attach(cs[0], nil, nil)
	o.err("attach.after.close", err)
	o.setf("attach.after.close.is.closed", "%v", errors.Is(err, netfd.ErrLoopsClosed))
	for i, c := range cs {
		data, err := readToErr(c, 64<<10)
		if roles[i] == "flood" {
			o.setf(roles[i]+".rest.prefix", "%v", bytes.Equal(data, flood[64<<10:64<<10+len(data)]))
			o.setf(roles[i]+".rest.short", "%v", 64<<10+len(data) < len(flood))
		} else {
			o.data(roles[i]+".rest", data)
		}
		o.err(roles[i]+".end", err)
	}
}

// loopModeSwitch: a lock-step line echo whose handler leaves the loop
// (Detach) and comes back (Attach) twice. Each reply says which mode
// served its line, "loop" or "conn", and the client records the sequence.
// The first detach hands the blocking side a line the loop received and
// did not consume; a read deadline in the past fails its first Read
// anyway. The first attach hands the loop a line the bufio.Reader read
// ahead; the second round switches with nothing in between.
func loopModeSwitch(e *env, o *obs) {
	var g atomic.Pointer[netfd.Loops]
	var client atomic.Pointer[net.Conn]
	turns := []chan *obs{nil, make(chan *obs, 1), make(chan *obs, 1)}
	h := newLoopHandler()
	h.data = func(c *netfd.LoopConn, lc *loopConn, in []byte) int {
		return lc.lines(in, func(line, rest []byte) lineAction {
			reply := append([]byte("loop "), line...)
			switch string(line) {
			case "detach+\n":
				if bytes.IndexByte(rest, '\n') < 0 {
					return lineKeep // detach with the next line received
				}
			case "detach\n":
			default:
				c.Write(reply)
				return lineNext
			}
			c.Write(reply)
			round := lc.round + 1
			lc.rec(func(o *obs) { o.data(fmt.Sprintf("detach%d.unconsumed", round), rest) })
			if round >= len(turns) {
				e.t.Errorf("detach %d: the protocol has %d", round, len(turns)-1)
				return lineNext
			}
			c.Detach(func(nc net.Conn, err error) {
				lc.round = round
				lc.kept = nil // handed over with nc
				lc.rec(func(o *obs) {
					o.err(fmt.Sprintf("detach%d", round), err)
					o.setf(fmt.Sprintf("detach%d.conn", round), "%T", nc)
				})
				if err != nil {
					turns[round] <- &obs{}
					return
				}
				go func() { turns[round] <- blockingTurn(e, g.Load(), *client.Load(), nc, lc, round) }()
			})
			return lineLast
		})
	}
	h.eof = func(c *netfd.LoopConn, lc *loopConn) {
		lc.rec(func(o *obs) {
			lc.recordLines(o, "loop.lines")
			o.data("eof.kept", lc.kept)
		})
		err := lc.closeConn(c)
		lc.rec(func(o *obs) { o.err("eof.close", err) })
	}
	ls := e.serveLoops(netfd.LoopConfig{}, h)
	g.Store(ls.g)
	c, err := e.dial("tcp", ls.addr)
	if err != nil {
		e.t.Fatalf("dial: %v", err)
	}
	e.checkBackend(c)
	client.Store(&c)
	lc := <-h.opened

	var burst strings.Builder
	for i := range 20 {
		fmt.Fprintf(&burst, "burst%02d\n", i)
	}
	bigConn, bigLoop := string(lineOf(100<<10, 1)), string(lineOf(100<<10, 2))
	steps := []string{
		"a\n", "b\n",
		"detach+\nc\n", // the loop receives c with detach+ and hands it over
		"d\n", burst.String(), bigConn,
		"attach+\ne\n", // bufio reads e with attach+ and hands it back
		"f\n", bigLoop,
		"detach\n", "g\n", "attach\n", "h\n",
	}
	br := bufio.NewReader(c)
	var modes []string
	ok := true
	for _, step := range steps {
		n, err := c.Write([]byte(step))
		if err != nil {
			o.io("write."+lineName(step), n, err)
			ok = false
			break
		}
		for _, line := range strings.SplitAfter(step, "\n") {
			if line == "" {
				continue
			}
			reply, err := br.ReadString('\n')
			mode, echoed, _ := strings.Cut(reply, " ")
			if err != nil || echoed != line {
				o.data("reply."+lineName(line), []byte(reply))
				o.err("reply."+lineName(line)+".end", err)
				ok = false
				break
			}
			modes = append(modes, lineName(line)+":"+mode)
		}
		if !ok {
			break
		}
	}
	o.set("modes", strings.Join(modes, " "))
	e.check(o, "replies.ok", ok, "a reply differs from its line (modes so far: %v)", modes)
	o.err("closewrite", closeWrite(c))
	data, err := readToErr(c, 4096)
	o.data("final.got", data)
	o.err("final.end", err)
	<-lc.closed
	e.check(o, "onclose.nil", lc.closeErr == nil, "OnClose(%v) after Close, want nil", lc.closeErr)
	o.merge("server.", lc.obs())
	for r := 1; r < len(turns); r++ {
		if r > lc.round {
			o.set(fmt.Sprintf("turn%d", r), "never")
			continue
		}
		o.merge(fmt.Sprintf("turn%d.", r), <-turns[r])
	}
	ls.shutdown(o)
}

// lineName names a line of the mode-switch protocol in the record.
func lineName(line string) string {
	if len(line) > 16 {
		return fmt.Sprintf("line%dB", len(line))
	}
	return strings.TrimSuffix(line, "\n")
}

// buffered returns what r has read ahead.
func buffered(r *bufio.Reader) []byte {
	b, _ := r.Peek(r.Buffered())
	return b
}

// blockingTurn serves nc, just detached from a loop, as a net.Conn: it
// echoes lines tagged "conn" until "attach" or "attach+" (for which it
// first waits until the next line is read ahead too), then attaches nc
// back to g with what its bufio.Reader read ahead. Round 1 first sets a
// read deadline in the past.
func blockingTurn(e *env, g *netfd.Loops, client, nc net.Conn, lc *loopConn, round int) *obs {
	so := &obs{}
	so.setf("conn.type", "%T", nc)
	if bk, ok := nc.(interface{ Backend() netfd.Backend }); ok {
		so.setf("conn.backend.same", "%v", bk.Backend() == e.b.NB)
	}
	so.set("local", addrDesc(nc.LocalAddr(), ""))
	so.set("remote", addrDesc(nc.RemoteAddr(), ""))
	so.setf("addrs.crossmatch", "%v", nc.LocalAddr().String() == client.RemoteAddr().String() &&
		nc.RemoteAddr().String() == client.LocalAddr().String())
	buf := make([]byte, 64)
	if round == 1 {
		// The loop handed over "c\n", received and not consumed: a read
		// deadline in the past fails Read at once all the same.
		so.err("deadline.past.set", nc.SetReadDeadline(time.Now().Add(-time.Second)))
		n, err := nc.Read(buf)
		so.io("deadline.past.read", n, err)
		recordTimeout(so, "deadline.past.read", err)
		so.err("deadline.clear", nc.SetReadDeadline(time.Time{}))
	}
	so.err("deadline.far.set", nc.SetDeadline(time.Now().Add(time.Hour)))
	r := bufio.NewReader(nc)
	served := 0
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			so.data("end.partial", line)
			so.err("end", err)
			so.err("end.close", nc.Close())
			return so
		}
		attach := false
		switch string(line) {
		case "attach+\n":
			for bytes.IndexByte(buffered(r), '\n') < 0 {
				if _, err := r.Peek(r.Buffered() + 1); err != nil {
					so.err("attach.peek", err)
					break
				}
			}
			attach = true
		case "attach\n":
			attach = true
		}
		if n, err := nc.Write(append([]byte("conn "), line...)); err != nil {
			so.io("write."+lineName(string(line)), n, err)
		}
		served++
		if attach {
			break
		}
	}
	so.setf("served", "%d", served)
	rest := bytes.Clone(buffered(r))
	so.data("attach.buffered", rest)
	so.err("attach", g.Attach(nc, rest, lc))
	// nc has left for the loop: using it fails, and closing it must not
	// close the connection.
	n, err := nc.Read(buf)
	so.io("after.attach.read", n, err)
	n, err = nc.Write([]byte("x"))
	so.io("after.attach.write", n, err)
	so.err("after.attach.close", nc.Close())
	return so
}
