//go:build !linux

package ring

import "errors"

// Params mirrors the caller-set part of struct io_uring_params.
type Params struct {
	SQEntries, CQEntries, Flags, SQThreadCPU, SQThreadIdle, Features, WQFd uint32
}

// Ring is an io_uring instance; there is none on this platform.
type Ring struct{}

// New corresponds to io_uring_queue_init_params; it returns
// errors.ErrUnsupported on this platform.
func New(entries uint32, p *Params) (*Ring, error) { return nil, errors.ErrUnsupported }

// Close corresponds to io_uring_queue_exit; it returns errors.ErrUnsupported.
func (r *Ring) Close() error { return errors.ErrUnsupported }
