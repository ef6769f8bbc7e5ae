//go:build linux && !amd64

package epoll

// Event is one readiness event, laid out as the kernel's struct epoll_event.
type Event struct {
	Events uint32
	_      uint32
	data   [8]byte // the Token
}
