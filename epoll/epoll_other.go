//go:build !linux

package epoll

import "errors"

// Poller is unavailable on this platform.
type Poller struct{}

// Event is unavailable on this platform.
type Event struct{}

// New returns errors.ErrUnsupported on this platform.
func New() (*Poller, error) { return nil, errors.ErrUnsupported }
