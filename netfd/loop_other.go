//go:build !linux

package netfd

import (
	"errors"
	"net"
	"time"
)

// ErrLoopsClosed is returned by Serve and Attach once the Loops was closed.
var ErrLoopsClosed = errors.New("netfd: loops closed")

// Loops is a set of event loops; see loop.go. Linux only.
type Loops struct{}

// LoopConn is a connection served by a loop. Linux only.
type LoopConn struct{}

// NewLoops returns errors.ErrUnsupported on this platform.
func NewLoops(LoopConfig, LoopHandler) (*Loops, error) { return nil, errors.ErrUnsupported }

func (g *Loops) Serve(net.Listener) error                { return errors.ErrUnsupported }
func (g *Loops) Accept(net.Listener) error               { return errors.ErrUnsupported }
func (g *Loops) Attach(net.Conn, []byte, any) error      { return errors.ErrUnsupported }
func (g *Loops) Close() error                            { return errors.ErrUnsupported }
func (g *Loops) Backend() Backend                        { return "" }
func (c *LoopConn) Write([]byte) (int, error)            { return 0, errors.ErrUnsupported }
func (c *LoopConn) Close() error                         { return errors.ErrUnsupported }
func (c *LoopConn) CloseWrite() error                    { return errors.ErrUnsupported }
func (c *LoopConn) Detach(fn func(net.Conn, error))      { fn(nil, errors.ErrUnsupported) }
func (c *LoopConn) Queued() int                          { return 0 }
func (c *LoopConn) LocalAddr() net.Addr                  { return nil }
func (c *LoopConn) RemoteAddr() net.Addr                 { return nil }
func (c *LoopConn) Context() any                         { return nil }
func (c *LoopConn) SetContext(any)                       {}
func (c *LoopConn) Leave(int) (net.Conn, error)          { return nil, errors.ErrUnsupported }
func (c *LoopConn) HandedOff() bool                      { return false }
func (c *LoopConn) Do(func(*LoopConn))                   {}
func (c *LoopConn) After(time.Duration, func(*LoopConn)) {}
func (c *LoopConn) Abort()                               {}
func (c *LoopConn) OnGone(func())                        {}
func (c *LoopConn) HandOff() bool                        { return false }
func (c *LoopConn) Checkpoint() time.Duration            { return 0 }
func (c *LoopConn) Now() time.Time                       { return time.Now() }
