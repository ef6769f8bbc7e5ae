package netfd

import (
	"sync"
	"sync/atomic"
	"time"
)

// A deadline is one direction's deadline of a netFD. Setting it arms a timer
// that, when it fires, marks the deadline expired and wakes the operation
// blocked in that direction. The timer is reused; a firing that arrives after
// the deadline moved re-checks the time and does nothing.
type deadline struct {
	fd   *netFD
	mode int

	flag atomic.Bool // expired; read on every operation

	mu    sync.Mutex // guards when and timer
	when  time.Time
	timer *time.Timer
}

func (d *deadline) init(fd *netFD, mode int) { d.fd, d.mode = fd, mode }

func (d *deadline) expired() bool { return d.flag.Load() }

// set moves the deadline to t (zero: none) and wakes a blocked operation if
// t has already passed.
func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	d.when = t
	if d.timer != nil {
		d.timer.Stop()
	}
	if t.IsZero() {
		d.flag.Store(false)
		d.mu.Unlock()
		return
	}
	dur := time.Until(t)
	if dur > 0 {
		d.flag.Store(false)
		if d.timer == nil {
			d.timer = time.AfterFunc(dur, d.fire)
		} else {
			d.timer.Reset(dur)
		}
		d.mu.Unlock()
		return
	}
	d.flag.Store(true)
	d.mu.Unlock()
	d.fd.drv.wake(d.fd, d.mode)
}

// fire runs on the timer's goroutine.
func (d *deadline) fire() {
	d.mu.Lock()
	due := !d.when.IsZero() && !time.Now().Before(d.when)
	if due {
		d.flag.Store(true)
	}
	d.mu.Unlock()
	if due {
		d.fd.drv.wake(d.fd, d.mode)
	}
}

// stop cancels the timer; called by Close.
func (d *deadline) stop() {
	d.mu.Lock()
	if d.timer != nil {
		d.timer.Stop()
	}
	d.mu.Unlock()
}
