package epoll

import "errors"

// ErrClosed is returned by operations on a Poller after Close.
var ErrClosed = errors.New("epoll: poller closed")
