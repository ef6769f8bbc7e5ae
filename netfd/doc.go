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
//     driver_uring_lifecycle_linux.go: an op's states (submitted,
//     cancelled, completed) and where each CQE goes; a CQE that matches no
//     op panics.
//
// Loop mode (Loops, LoopConn, LoopHandler: no goroutine per connection):
//
//   - loop_linux.go: Loops.Serve accepts (netFD.Accept, as above) and
//     adopt posts the descriptor to a loop's inbox; at the start of its
//     next pass the loop runs the inbox, gives the connection a slot and
//     registers it with its kernel side (loopKernel.add), and calls
//     LoopHandler.OnOpen.
//   - loop_epoll_linux.go: a readable edge makes the loop read(2) into its
//     one 64 KiB buffer until the socket is drained (a few reads per pass,
//     so that one sender cannot starve the rest); loop_uring_linux.go: a
//     multishot recv armed per connection posts one CQE per arrival, its
//     bytes in a buffer the kernel took from the loop's provided-buffer
//     ring. Either way loop.deliver hands the bytes to LoopHandler.OnData
//     and copies only what OnData did not consume into the connection.
//   - loop_conn_linux.go: LoopConn.Write appends to the connection's out
//     queue and marks it dirty; at the end of the pass loop.flush starts a
//     send for every
//     dirty connection: write(2) on epoll (the rest waits for EPOLLOUT), a
//     send SQE on io_uring, all of the pass's SQEs submitted by the one
//     io_uring_enter in which the loop then waits. LoopConn.Flush, for a
//     method that streams, write(2)s the queue at once instead, unless a
//     send is in flight.
//   - LoopConn.Detach stops receiving, sends what is queued, and hands the
//     descriptor to a new netFD of the blocking mode, with the bytes
//     OnData left as that netFD's pending; Loops.Attach releases a Conn's
//     netFD without closing the descriptor and adopts it into a loop, with
//     the bytes its reader had buffered delivered first.
//   - loop_handoff_linux.go: a LoopHandler method that runs longer than
//     LoopConfig.HandOffAfter, or calls LoopConn.Leave, gives its loop to
//     a new goroutine; with Leave, its connection goes on in the blocking
//     mode, the bytes the method did not consume read first
//     (LeaveKeepingInput when the method still reads its input: the loop
//     then takes a new read buffer).
//
// The package is Linux-only; elsewhere every constructor returns
// errors.ErrUnsupported.
package netfd
