//go:build !linux

package client

// peek cannot look at the socket here: every idle connection counts as
// alive, and RoundTrip's retry rule covers one the peer closed.
func (pc *persistConn) peek(fd uintptr) { pc.peekAlive, pc.peekPending = true, false }
