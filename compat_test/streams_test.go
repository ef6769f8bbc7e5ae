package compat_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestOrdering: two goroutines share one conn and take turns under a mutex
// (write a request, read its response); then a pipelined writer sends
// requests while the reader reads the responses. Every response must match
// its request, and the server must see each sender's requests in order.
func TestOrdering(t *testing.T) {
	compat(t, func(e *env, o *obs) {
		const perSender, pipelined = 200, 500
		c, s, _ := e.pair("tcp")
		srv := make(chan *obs, 1)
		go func() { srv <- orderingServer(s) }()

		br := bufio.NewReader(c)
		var mu sync.Mutex
		type sender struct {
			ok    int
			first string // first mismatch or error
		}
		results := make([]sender, 2)
		var wg sync.WaitGroup
		for g, name := range []string{"a", "b"} {
			wg.Go(func() {
				r := &results[g]
				for i := range perSender {
					req := fmt.Sprintf("%s %d\n", name, i)
					mu.Lock()
					_, err := c.Write([]byte(req))
					var resp string
					if err == nil {
						resp, err = br.ReadString('\n')
					}
					mu.Unlock()
					switch {
					case err != nil:
						r.first = "error " + errClass(err)
						return
					case resp != "ok "+req:
						r.first = fmt.Sprintf("request %q got %q", req, resp)
						return
					}
					r.ok++
				}
			})
		}
		wg.Wait()
		for g, r := range results {
			o.setf(fmt.Sprintf("sender%d.ok", g), "%d", r.ok)
			o.set(fmt.Sprintf("sender%d.first.mismatch", g), r.first)
		}

		werr := make(chan error, 1)
		go func() {
			for i := range pipelined {
				if _, err := fmt.Fprintf(c, "p %d\n", i); err != nil {
					werr <- err
					return
				}
			}
			werr <- nil
		}()
		inOrder, mismatch := 0, ""
		for i := range pipelined {
			resp, err := br.ReadString('\n')
			if want := fmt.Sprintf("ok p %d\n", i); err != nil || resp != want {
				mismatch = fmt.Sprintf("response %d: %q, %s", i, resp, errClass(err))
				break
			}
			inOrder++
		}
		o.err("pipelined.write", <-werr)
		o.setf("pipelined.in.order", "%d", inOrder)
		o.set("pipelined.first.mismatch", mismatch)
		o.err("closewrite", closeWrite(c))
		rest, err := io.ReadAll(br)
		o.data("tail", rest)
		o.err("tail.end", err) // io.ReadAll turns EOF into nil
		o.merge("server.", <-srv)
	})
}

// orderingServer answers each line "x" with "ok x" until EOF, checking that
// each sender's sequence numbers arrive in order.
func orderingServer(s net.Conn) *obs {
	so := &obs{}
	br := bufio.NewReader(s)
	last := map[string]int{"a": -1, "b": -1, "p": -1}
	count, outOfOrder := 0, ""
	var err error
	for {
		var line string
		line, err = br.ReadString('\n')
		if err != nil {
			so.data("partial", []byte(line))
			break
		}
		var who string
		var seq int
		if _, serr := fmt.Sscanf(line, "%s %d", &who, &seq); serr != nil || seq != last[who]+1 {
			if outOfOrder == "" {
				outOfOrder = strings.TrimSpace(line)
			}
		}
		last[who] = seq
		count++
		if _, err = s.Write([]byte("ok " + line)); err != nil {
			break
		}
	}
	so.err("end", err)
	so.setf("requests", "%d", count)
	so.set("first.out.of.order", outOfOrder)
	so.err("close", s.Close())
	return so
}

// TestConcurrentWritesAtomic: two goroutines write 64 KiB records without
// any lock of their own; Writes are serialized, so the reader must see only
// whole records.
func TestConcurrentWritesAtomic(t *testing.T) {
	compat(t, func(e *env, o *obs) {
		const record, perWriter = 64 << 10, 32
		c, s, _ := e.pair("tcp")
		got := make(chan []byte, 1)
		rerr := make(chan error, 1)
		go func() {
			data, err := readToErr(s, 32<<10)
			got <- data
			rerr <- err
		}()
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for g := range 2 {
			wg.Go(func() {
				rec := bytes.Repeat([]byte{'A' + byte(g)}, record)
				for range perWriter {
					if _, err := c.Write(rec); err != nil {
						errs[g] = err
						return
					}
				}
			})
		}
		wg.Wait()
		o.err("writer0", errs[0])
		o.err("writer1", errs[1])
		o.err("closewrite", closeWrite(c))
		data := <-got
		o.err("read.end", <-rerr)
		o.setf("read.len", "%d", len(data))
		counts, torn := map[byte]int{}, -1
		for off := 0; off < len(data); off += record {
			rec := data[off:min(off+record, len(data))]
			if len(rec) < record || bytes.Count(rec, rec[:1]) != record {
				torn = off
				break
			}
			counts[rec[0]]++
		}
		o.setf("records.A", "%d", counts['A'])
		o.setf("records.B", "%d", counts['B'])
		o.setf("first.torn.offset", "%d", torn)
	})
}

// TestSmallWritesVsLarge: 10,000 writes of 7 bytes and one write of 70,000
// bytes deliver the same byte stream.
func TestSmallWritesVsLarge(t *testing.T) {
	compat(t, func(e *env, o *obs) {
		stream := pattern(70000, 7)
		small := transfer(e, o, "small", func(c net.Conn) error {
			for off := 0; off < len(stream); off += 7 {
				if _, err := c.Write(stream[off : off+7]); err != nil {
					return err
				}
			}
			return nil
		})
		large := transfer(e, o, "large", func(c net.Conn) error {
			n, err := c.Write(stream)
			o.setf("large.write.n", "%d", n)
			return err
		})
		o.setf("same.stream", "%v", bytes.Equal(small, large))
		o.setf("stream.intact", "%v", bytes.Equal(small, stream))
	})
}

// transfer sends with write on a fresh TCP conn, half-closes it, and
// returns what the peer read to EOF.
func transfer(e *env, o *obs, name string, write func(net.Conn) error) []byte {
	c, s, _ := e.pair("tcp")
	got := make(chan []byte, 1)
	rerr := make(chan error, 1)
	go func() {
		data, err := readToErr(s, 4096)
		got <- data
		rerr <- err
	}()
	o.err(name+".write", write(c))
	o.err(name+".closewrite", closeWrite(c))
	data := <-got
	o.data(name+".got", data)
	o.err(name+".end", <-rerr)
	return data
}

// TestSlowReaderBackpressure: one 8 MiB Write against a reader that reads
// and hashes 1 KiB at a time, with small socket buffers: Write must not
// return before the reader has taken nearly everything, and then succeed.
func TestSlowReaderBackpressure(t *testing.T) {
	compat(t, func(e *env, o *obs) {
		const total, slack = 8 << 20, 1 << 20 // slack: far more than both buffers hold
		c, s, _ := e.pair("tcp")
		o.err("setwritebuffer", setWriteBuffer(c, 32<<10))
		o.err("peer.setreadbuffer", setReadBuffer(s, 32<<10))
		var consumed atomic.Int64
		type result struct {
			sum [sha256.Size]byte
			n   int64
			err error
		}
		rd := make(chan result, 1)
		go func() {
			h := sha256.New()
			buf := make([]byte, 1024)
			for {
				n, err := s.Read(buf)
				h.Write(buf[:n])
				consumed.Add(int64(n))
				if err != nil {
					var r result
					copy(r.sum[:], h.Sum(nil))
					r.n, r.err = consumed.Load(), err
					rd <- r
					return
				}
			}
		}()
		payload := pattern(total, 8)
		n, err := c.Write(payload)
		atReturn := consumed.Load()
		o.io("write", n, err)
		o.setf("write.returned.after.reader.caught.up", "%v", atReturn >= total-slack)
		o.err("closewrite", closeWrite(c))
		r := <-rd
		o.setf("read.len", "%d", r.n)
		o.setf("read.sha256", "%x", r.sum)
		o.setf("read.intact", "%v", r.sum == sha256.Sum256(payload))
		o.err("read.end", r.err)
	})
}

// TestZeroLength: Read and Write with empty buffers in every state of the
// conn: idle, data buffered, past deadlines, after EOF, after CloseWrite,
// after Close.
func TestZeroLength(t *testing.T) {
	compat(t, func(e *env, o *obs) {
		c, s, _ := e.pair("tcp")
		empty := []byte{}
		n, err := c.Read(empty)
		o.io("read.idle", n, err)
		n, err = s.Write([]byte("data"))
		o.io("peer.write", n, err)
		buf := make([]byte, 4)
		n, err = io.ReadFull(c, buf[:1])
		o.io("read.first", n, err)
		n, err = c.Read(empty)
		o.io("read.buffered", n, err)
		n, err = io.ReadFull(c, buf[:3])
		o.io("read.rest", n, err)
		o.data("read.rest.got", buf[:n])
		n, err = c.Write(empty)
		o.io("write.empty", n, err)
		n, err = c.Write(nil)
		o.io("write.nil", n, err)

		past := time.Now().Add(-time.Second)
		o.err("setdeadline.past", c.SetDeadline(past))
		n, err = c.Read(empty)
		o.io("read.past", n, err)
		n, err = c.Write(empty)
		o.io("write.past", n, err)
		o.err("clear", c.SetDeadline(time.Time{}))

		o.err("peer.close", s.Close())
		n, err = c.Read(buf)
		o.io("read.eof", n, err)
		n, err = c.Read(empty)
		o.io("read.after.eof", n, err)
		o.err("closewrite", closeWrite(c))
		n, err = c.Write(empty)
		o.io("write.after.closewrite", n, err)
		o.err("close", c.Close())
		n, err = c.Read(empty)
		o.io("read.closed", n, err)
		n, err = c.Write(empty)
		o.io("write.closed", n, err)
	})
}
