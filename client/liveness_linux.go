package client

import "golang.org/x/sys/unix"

// peek is alive's look at the socket: poll(2) with a zero timeout.
// Nothing to report means the peer has neither closed nor sent anything.
// POLLRDHUP (its FIN arrived), POLLHUP or POLLERR end the connection; so
// does POLLIN alone (bytes nobody asked for), except that on TLS they
// may be a record the client has not read yet (peekPending).
// (poll rather than recv(MSG_PEEK): unix.Recvfrom allocates a sockaddr
// on every call.)
func (pc *persistConn) peek(fd uintptr) {
	fds := [1]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN | unix.POLLRDHUP}}
	for {
		n, err := unix.Poll(fds[:], 0)
		if err == unix.EINTR {
			continue
		}
		ev := fds[0].Revents
		pc.peekAlive = err == nil && (n == 0 || ev == 0)
		pc.peekPending = err == nil && ev == unix.POLLIN
		return
	}
}
