// Package netfd is a network file descriptor layer with the semantics of Go's
// internal/poll.FD (blocking-style Read, Write, Accept, Connect, Close,
// half-close and deadlines) on interchangeable kernel backends, behind the
// standard net.Conn and net.Listener interfaces.
//
// A Conn or Listener from this package can be used wherever a net.Conn or
// net.Listener is: crypto/tls, net/http.Server.Serve, an http.Transport's
// DialContext, gRPC.
//
//	ln, err := netfd.Listen("tcp", "127.0.0.1:8080") // Auto backend
//	...
//	http.Serve(ln, handler)
//
//	lc := netfd.ListenConfig{Backend: netfd.Epoll, ReusePort: true}
//	ln, err := lc.Listen(ctx, "tcp", ":8080")
//
//	d := netfd.Dialer{Backend: netfd.Epoll, Timeout: 3 * time.Second}
//	c, err := d.DialContext(ctx, "tcp", "127.0.0.1:8080")
//
// Auto, the default, is io_uring when this machine can run it and epoll
// otherwise; the environment variable RINGNET_BACKEND=epoll (or uring)
// overrides that choice for a whole process. ResolveReason says what Auto
// picks and why, and BackendOf which backend a listener or connection runs
// on:
//
//	b, why, err := netfd.ResolveReason(netfd.Auto) // "epoll", "io_uring_setup: EPERM (...)", nil
//	b, ok := netfd.BackendOf(ln)                   // "epoll", true; "", false for a net.TCPListener
//
// Errors look like the net package's: *net.OpError wrapping *os.SyscallError,
// net.ErrClosed after Close, os.ErrDeadlineExceeded when a deadline passes.
//
// # Where a byte goes
//
// A descriptor is used in one of two modes, and can move between them.
//
// Blocking mode (net.Conn and net.Listener, one goroutine per connection):
//
//   - conn_linux.go: Conn.Read and Conn.Write wrap the netFD's errors in
//     *net.OpError; Listener.Accept wraps the new descriptor in a Conn.
//   - sendfile_linux.go: Conn.ReadFrom sends a file with sendfile(2)
//     under the write lock, waiting for writability through the driver
//     (driver.wait) when the socket is full; other readers go through
//     Write.
//   - fd_linux.go: netFD.Read takes the read lock and a reference (Close
//     waits for it), returns bytes a loop left behind first (pending), then
//     calls the driver; netFD.Write calls the driver until all of p is
//     written. deadline_linux.go arms the timers that wake a blocked call.
//   - backend_linux.go: the driver contract (read, write, accept, connect,
//     wait, wake, release, close), which decides only how a call waits.
//   - op_linux.go: each operation (recv, send, accept, connect, multishot
//     recv, poll) described once: its syscall form (sys) and its io_uring
//     form (prep, result).
//   - driver_epoll_linux.go, epoll mode: waiter.do tries the op's syscall
//     (read(2) into the caller's p); on EAGAIN the goroutine parks on the
//     netFD's pollDesc until the poller goroutine, which waits for the epoll
//     fd through the runtime poller, sees a new edge and wakes it, and it
//     tries again. A read shorter than p parks before the next read rather
//     than making the read that would say EAGAIN.
//   - driver_uring_linux.go, driver_uring_ops_linux.go, io_uring mode:
//     uring.do fills an SQE (recv into the caller's p), publishes it and
//     lets one goroutine at a time enter the kernel for every SQE published
//     so far; the goroutine waits on its op slot until its CQE arrives, from
//     the reaper (which waits for the ring's eventfd through the runtime
//     poller) or from the submitter that just entered. When the CQE says
//     data is still queued, the next read is a plain read(2) instead.
//     uring_lifecycle_linux.go: an op's states (idle, submitted,
//     cancelled, completed) in one word with its user_data, for the driver
//     and the loops alike; a CQE that matches no op panics.
//
// Loop mode (Loops, LoopConn, LoopHandler: no goroutine per connection).
// A loop's pass is: run the inbox, dispatch the queued events, flush the
// writes, reap the kernel (loop.run). The backends only reap; the
// dispatcher alone calls the handler.
//
//   - loop_linux.go: Loops.Serve accepts (netFD.Accept, as above) and
//     adopt posts the descriptor to a loop's inbox; the loop's next pass
//     runs the inbox, gives the connection a slot, registers it with its
//     backend (loopKernel.add) and queues an evOpen event.
//   - loop_epoll_linux.go: reap waits in epoll_wait and reads each
//     readable connection (read(2), a few reads per pass so that one
//     sender cannot starve the rest) into the loop's 64 KiB read arena,
//     queueing an evData event per read; loop_uring_linux.go: reap enters
//     the ring once and takes a batch of CQEs: a connection's multishot
//     recv posts one per arrival, its bytes in a buffer the kernel took
//     from the loop's provided-buffer ring, queued as an evData event.
//     Either way the recv and send are op states (c.recv, c.send) and the
//     bytes wait in the backend's buffer until dispatched.
//   - loop_dispatch_linux.go: dispatch walks the queue with one cursor;
//     handle's switch says what each event does: evData goes to
//     deliver, which hands the bytes to LoopHandler.OnData through invoke
//     and copies only what OnData did not consume into the connection
//     (c.in), then the backend gets its buffer back (loopKernel.done).
//   - loop_conn_linux.go: LoopConn.Write appends to the connection's out
//     queue and marks it dirty; loop.flush starts a send for every dirty
//     connection: write(2) on epoll (the rest waits for EPOLLOUT), a send
//     SQE on io_uring, all of the pass's SQEs submitted by the one
//     io_uring_enter in which the loop then waits. LoopConn.Flush, for a
//     method that streams, write(2)s the queue at once instead, unless a
//     send is in flight. The LoopConn's fields are grouped by the
//     goroutine that owns them.
//   - loop_timer_linux.go: LoopConn.After's timers, a heap the loop
//     owns: reap waits for the kernel no longer than until the first is
//     due (epoll_wait's milliseconds, io_uring_enter's timespec), and
//     the due ones are queued as evDo events, methods for their
//     connections. A client's requests due at set times (a load
//     generator's open model) need no goroutine and no wake-up.
//   - LoopConn.Detach stops receiving, sends what is queued, and hands the
//     descriptor to a new netFD of the blocking mode, with the bytes
//     OnData left as that netFD's pending; Loops.Attach releases a Conn's
//     netFD without closing the descriptor and adopts it into a loop, with
//     the bytes its reader had buffered delivered first (evHeld).
//   - loop_handoff_linux.go: a LoopHandler method that runs longer than
//     LoopConfig.HandOffAfter, or calls LoopConn.Leave, gives its loop to
//     a new goroutine, which goes on from the dispatcher's cursor; the old
//     goroutine returns out of the loop when its method returns. With
//     Leave, its connection goes on in the blocking mode, the bytes the
//     method did not consume read first (LeaveKeepingInput when the
//     method still reads its input: the loop then takes a new read
//     buffer).
//
// The package is Linux-only; elsewhere every constructor returns
// errors.ErrUnsupported.
package netfd
