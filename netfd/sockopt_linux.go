package netfd

import (
	"net"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// SetNoDelay controls Nagle's algorithm; TCP connections start with no delay,
// as in the net package.
func (c *Conn) SetNoDelay(noDelay bool) error {
	return c.setInt(unix.IPPROTO_TCP, unix.TCP_NODELAY, boolInt(noDelay))
}

// SetKeepAlive enables or disables TCP keep-alive probes.
func (c *Conn) SetKeepAlive(keepalive bool) error {
	return c.setInt(unix.SOL_SOCKET, unix.SO_KEEPALIVE, boolInt(keepalive))
}

// SetKeepAlivePeriod sets the idle time before the first probe and the
// interval between probes.
func (c *Conn) SetKeepAlivePeriod(d time.Duration) error {
	secs := roundSeconds(d)
	if err := c.setInt(unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, secs); err != nil {
		return err
	}
	return c.setInt(unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, secs)
}

// SetKeepAliveConfig configures keep-alive as net.TCPConn.SetKeepAliveConfig:
// zero fields take the net package's defaults (15 s idle and interval, 9
// probes), negative ones leave the system's setting.
func (c *Conn) SetKeepAliveConfig(cfg net.KeepAliveConfig) error {
	if err := c.SetKeepAlive(cfg.Enable); err != nil || !cfg.Enable {
		return err
	}
	if cfg.Idle == 0 {
		cfg.Idle = 15 * time.Second
	}
	if cfg.Interval == 0 {
		cfg.Interval = 15 * time.Second
	}
	if cfg.Count == 0 {
		cfg.Count = 9
	}
	if cfg.Idle > 0 {
		if err := c.setInt(unix.IPPROTO_TCP, unix.TCP_KEEPIDLE, roundSeconds(cfg.Idle)); err != nil {
			return err
		}
	}
	if cfg.Interval > 0 {
		if err := c.setInt(unix.IPPROTO_TCP, unix.TCP_KEEPINTVL, roundSeconds(cfg.Interval)); err != nil {
			return err
		}
	}
	if cfg.Count > 0 {
		return c.setInt(unix.IPPROTO_TCP, unix.TCP_KEEPCNT, cfg.Count)
	}
	return nil
}

// SetLinger sets SO_LINGER as net.TCPConn.SetLinger: negative (the default)
// lets Close return at once and the kernel send pending data in the
// background; 0 discards pending data and resets the connection on Close;
// positive lingers up to sec seconds.
func (c *Conn) SetLinger(sec int) error {
	l := unix.Linger{}
	if sec >= 0 {
		l.Onoff, l.Linger = 1, int32(sec)
	}
	var serr error
	err := c.fd.Control(func(s uintptr) {
		serr = unix.SetsockoptLinger(int(s), unix.SOL_SOCKET, unix.SO_LINGER, &l)
	})
	return c.optErr(err, serr)
}

// SetReadBuffer sets the kernel's receive buffer size.
func (c *Conn) SetReadBuffer(bytes int) error {
	return c.setInt(unix.SOL_SOCKET, unix.SO_RCVBUF, bytes)
}

// SetWriteBuffer sets the kernel's send buffer size.
func (c *Conn) SetWriteBuffer(bytes int) error {
	return c.setInt(unix.SOL_SOCKET, unix.SO_SNDBUF, bytes)
}

func (c *Conn) setInt(level, opt, v int) error {
	var serr error
	err := c.fd.Control(func(s uintptr) {
		serr = unix.SetsockoptInt(int(s), level, opt, v)
	})
	return c.optErr(err, serr)
}

func (c *Conn) optErr(err, serr error) error {
	if err == nil && serr != nil {
		err = os.NewSyscallError("setsockopt", serr)
	}
	if err != nil {
		return c.opError("set", err)
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func roundSeconds(d time.Duration) int {
	return int((d + time.Second - 1) / time.Second)
}
