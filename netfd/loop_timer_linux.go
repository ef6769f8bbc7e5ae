package netfd

import "time"

// A loop's timers (LoopConn.After): a heap of due times the loop owns. The
// loop waits in the kernel (reap) no longer than until the first is due,
// and queues every timer that is due as an evDo event, which the
// dispatcher runs as a method for its connection, if still open. No
// goroutine and no wake-up from outside the loop: what a load generator's
// open model needs, a request due every few hundred microseconds.

// After runs f on c's loop once d has passed, as a LoopHandler method for
// c, unless c has left the loop by then (closed, detached, or its handler
// is away, as for Do). It must be called from a LoopHandler method for c.
// The loop waits for the kernel with the first timer's due time as its
// limit, so f runs that late at worst: a millisecond on epoll (epoll_wait
// counts milliseconds), microseconds on io_uring, plus whatever the
// methods queued before take. A timer cannot be stopped: f checks whether
// what it was for still holds.
func (c *LoopConn) After(d time.Duration, f func(c *LoopConn)) {
	if !c.pinned(func() { c.after(d, f) }) {
		c.later(func() { c.after(d, f) })
	}
}

func (c *LoopConn) after(d time.Duration, f func(c *LoopConn)) {
	l := c.l
	l.timers.push(loopTimer{when: l.clock() + max(d, 0), c: c, f: f})
}

// A loopTimer is f, due for c at when (loop.clock).
type loopTimer struct {
	when time.Duration
	c    *LoopConn
	f    func(*LoopConn)
}

// clock is the loop's time: the monotonic time since the loop began.
func (l *loop) clock() time.Duration { return time.Since(l.epoch) }

// wait is how long the next reap may wait for the kernel: not at all
// when work is queued, else until the first timer is due, or (-1) until
// something happens.
func (l *loop) wait() time.Duration {
	switch {
	case l.pending.Load() || len(l.events) > 0:
		return 0
	case len(l.timers) == 0:
		return -1
	}
	return max(l.timers[0].when-l.clock(), 0)
}

// fireTimers queues the timers that are due.
func (l *loop) fireTimers() {
	if len(l.timers) == 0 {
		return
	}
	now := l.clock()
	for len(l.timers) > 0 && l.timers[0].when <= now {
		t := l.timers.pop()
		l.queue(event{c: t.c, kind: evDo, fn: func() { t.f(t.c) }})
	}
}

// timerHeap is a binary min-heap of timers by due time, without the
// interface boxing of container/heap: a timer per request must not
// allocate beyond its slot.
type timerHeap []loopTimer

func (h *timerHeap) push(t loopTimer) {
	*h = append(*h, t)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if s[p].when <= s[i].when {
			break
		}
		s[p], s[i] = s[i], s[p]
		i = p
	}
}

func (h *timerHeap) pop() loopTimer {
	s := *h
	t := s[0]
	n := len(s) - 1
	s[0] = s[n]
	s[n] = loopTimer{}
	s = s[:n]
	for i := 0; ; {
		m, l, r := i, 2*i+1, 2*i+2
		if l < n && s[l].when < s[m].when {
			m = l
		}
		if r < n && s[r].when < s[m].when {
			m = r
		}
		if m == i {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return t
}
