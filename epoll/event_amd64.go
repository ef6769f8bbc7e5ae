//go:build linux

package epoll

// Event is one readiness event, laid out as the kernel's struct epoll_event,
// which is packed on amd64.
type Event struct {
	Events uint32
	data   [8]byte // the Token, unaligned
}
