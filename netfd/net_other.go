//go:build !linux

package netfd

import (
	"context"
	"errors"
	"net"
)

func resolve(Backend) (Backend, string, error) { return "", "", errors.ErrUnsupported }

func (lc *ListenConfig) listen(context.Context, string, string) (net.Listener, error) {
	return nil, errors.ErrUnsupported
}

func (d *Dialer) dial(context.Context, string, string) (net.Conn, error) {
	return nil, errors.ErrUnsupported
}
