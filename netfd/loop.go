package netfd

import "time"

// Event loops: the second way of using netfd's descriptors, next to the
// blocking net.Conn.
//
// A Loops is one loop goroutine per P, each owning one kernel interface (an
// epoll instance or an io_uring ring). Connections are spread over the
// loops; a loop learns that bytes arrived on one of its connections and
// calls the owner's LoopHandler on the loop goroutine itself, with the
// bytes in a buffer the owner must not keep. Writes are queued on the
// LoopConn and sent at the end of the loop's pass, all of them with one
// io_uring_enter on io_uring. No goroutine waits per connection, and an
// idle connection holds no buffer: on io_uring the kernel picks a receive
// buffer from the loop's provided-buffer ring only when data arrives.
//
// A connection can leave its loop for the blocking net.Conn mode
// (LoopConn.Detach) and come back (Loops.Attach) with no byte lost or
// reordered.
//
// A handler that blocks does not hold up the rest of its loop: once a
// LoopHandler method has run for LoopConfig.HandOffAfter, a new goroutine
// takes the loop over, as the Go runtime hands a P to a new thread when
// one blocks in a system call. The old goroutine keeps only the
// connection it was serving, which it moves to the blocking mode with
// LoopConn.Leave. A handler that knows it is about to block calls Leave
// itself.

// A LoopHandler receives the events of the connections of a Loops. Every
// method runs on the connection's loop goroutine; while one runs, the
// other connections of that loop wait, so a handler must not block.
type LoopHandler interface {
	// OnOpen is called once, when c joins a loop (accepted by Serve or
	// attached by Attach).
	OnOpen(c *LoopConn)
	// OnData is called with the bytes that arrived on c, preceded by the
	// ones an earlier OnData did not consume. It returns how many bytes of
	// in it consumed; the rest is kept (copied) and delivered again, in
	// front of the next bytes. in is valid only until OnData returns.
	OnData(c *LoopConn, in []byte) (consumed int)
	// OnEOF is called once the peer has shut down its sending side, after
	// every byte before it was delivered. c stays open for writing; the
	// handler usually closes it.
	OnEOF(c *LoopConn)
	// OnClose is called once, after c's descriptor was closed: err is nil
	// after c.Close, net.ErrClosed when the Loops was closed, else a
	// *net.OpError saying what failed (a reset, a write to a closed peer).
	// It is not called for a connection that left with Detach.
	OnClose(c *LoopConn, err error)
}

// LoopConfig configures a Loops. The zero value is ready to use: the Auto
// backend and one loop per P.
type LoopConfig struct {
	// Backend the loops run on; "" means Auto.
	Backend Backend
	// Loops is the number of loops; 0 means runtime.GOMAXPROCS(0).
	Loops int
	// HandOffAfter, if positive, is how long a LoopHandler method may run
	// before its loop is handed to a new goroutine, so that the loop's
	// other connections do not wait for a handler that blocks. The old
	// goroutine keeps only its connection: what it does with it (Write,
	// Close, ...) takes effect through the loop, in order, and once its
	// method returns the connection is served by the loop again; Leave
	// moves it to the blocking mode instead. A handed-off method runs
	// concurrently with the loop's other methods, so state the methods
	// share needs a lock. 0 or negative: never.
	HandOffAfter time.Duration
	// MaxQueued bounds the bytes queued for sending on one connection
	// before the loop stops reading from it: the back-pressure that keeps
	// a peer that sends but never reads from growing the queue without
	// bound. Reading resumes once half of it was sent. 0 means 1 MiB.
	MaxQueued int
}
