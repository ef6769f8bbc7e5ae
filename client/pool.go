package client

import (
	"context"
	"net/url"
	"time"
)

// The pool. Every connection belongs to the hostPool of its connKey and
// is, at any moment, either being dialed, idle in the pool, or owned by
// exactly one request (from getConn until its response body is done).
//
// A request first takes the most recently used idle connection, after
// checking that the peer has not closed it (alive). If there is none, it
// joins the pool's FIFO queue of waiters, and a dial starts in the
// background whenever the queue is longer than the dials in flight and
// MaxConnsPerHost allows. A waiter is served by whichever comes first:
// a connection another request frees, or any finished dial; so a dial
// never makes a request wait longer than an existing connection would,
// and a dial nobody waits for any more goes to the pool. A failed dial
// fails the longest-waiting request.

// A hostPool is the connections of one connKey. All fields are guarded
// by Transport.mu.
type hostPool struct {
	key     connKey
	proxy   *url.URL
	idle    []*persistConn // oldest first; requests take the last
	waiters []*waiter      // FIFO
	conns   int            // connections open or being dialed
	dialing int            // dials in flight
}

// A waiter is a request queued for a connection.
type waiter struct {
	ch    chan connResult // capacity 1: gets exactly one result
	fresh bool            // a retry: takes only a newly dialed connection
}

type connResult struct {
	pc  *persistConn
	err error
}

// getConn returns a connection for key: an idle one unless fresh, else
// the first one freed or dialed while it waits, bounded by ctx.
func (t *Transport) getConn(ctx context.Context, key connKey, proxy *url.URL, fresh bool) (*persistConn, error) {
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	t.mu.Lock()
	p := t.poolLocked(key, proxy)
	for !fresh && len(p.idle) > 0 {
		pc := p.idle[len(p.idle)-1]
		p.idle[len(p.idle)-1] = nil
		p.idle = p.idle[:len(p.idle)-1]
		t.lru.remove(pc)
		t.mu.Unlock()
		if t.noLivenessCheck || pc.alive() {
			return pc, nil
		}
		t.closeConn(pc)
		t.mu.Lock()
		p = t.poolLocked(key, proxy) // closeConn may have dropped the old one
	}
	w := &waiter{ch: make(chan connResult, 1), fresh: fresh}
	p.waiters = append(p.waiters, w)
	victims := t.dialForWaitersLocked(p)
	if t.testHookQueued != nil {
		t.testHookQueued()
	}
	t.mu.Unlock()
	t.closeAll(victims)

	select {
	case r := <-w.ch:
		return r.pc, r.err
	case <-ctx.Done():
	}
	t.mu.Lock()
	removed := p.removeWaiter(w)
	t.mu.Unlock()
	if !removed { // served meanwhile: pass the connection on
		if r := <-w.ch; r.pc != nil {
			t.putConn(r.pc)
		}
	}
	return nil, context.Cause(ctx)
}

func (t *Transport) poolLocked(key connKey, proxy *url.URL) *hostPool {
	if p := t.pools[key]; p != nil {
		return p
	}
	if t.pools == nil {
		t.pools = make(map[connKey]*hostPool)
	}
	p := &hostPool{key: key, proxy: proxy}
	t.pools[key] = p
	return p
}

// dialForWaitersLocked starts dials until every waiter has one in flight
// or MaxConnsPerHost is reached. At the limit, idle connections (which
// only waiters that want a fresh connection leave alone) are closed to
// make room; they are returned, already uncounted, for closeAll once mu
// is released.
func (t *Transport) dialForWaitersLocked(p *hostPool) (victims []*persistConn) {
	limit := t.opt.maxConnsPerHost()
	for p.dialing < len(p.waiters) {
		if limit > 0 && p.conns >= limit {
			if len(p.idle) == 0 {
				break
			}
			pc := p.idle[0]
			p.removeIdle(pc)
			t.lru.remove(pc)
			victims = append(victims, pc)
			p.conns-- // its slot goes to the dial below
		}
		p.conns++
		p.dialing++
		go t.dialConn(p)
	}
	return victims
}

// dialConn dials a connection for p and hands it over, or fails the
// longest waiter.
func (t *Transport) dialConn(p *hostPool) {
	pc, err := t.connect(p)
	t.mu.Lock()
	p.dialing--
	if err != nil {
		p.conns--
		if len(p.waiters) > 0 {
			w := p.waiters[0]
			p.popWaiter(0)
			w.ch <- connResult{err: err}
		}
		victims := t.dialForWaitersLocked(p)
		t.dropPoolIfEmptyLocked(p)
		t.mu.Unlock()
		t.closeAll(victims)
		return
	}
	victim := t.handOffLocked(p, pc, true)
	t.mu.Unlock()
	if victim != nil {
		t.closeConn(victim)
	}
}

// putConn returns a connection that finished a request in good order
// to the first waiter, or to the pool.
func (t *Transport) putConn(pc *persistConn) {
	t.mu.Lock()
	victim := t.handOffLocked(pc.pool, pc, false)
	t.mu.Unlock()
	if victim != nil {
		t.closeConn(victim)
	}
}

// handOffLocked gives pc to the first waiter that takes it (fresh: it was
// just dialed, so any waiter does) or makes it idle. It returns a
// connection to close: pc if the per-host idle limit is reached, or the
// least recently used idle connection if the total limit is.
func (t *Transport) handOffLocked(p *hostPool, pc *persistConn, fresh bool) (victim *persistConn) {
	for i, w := range p.waiters {
		if w.fresh && !fresh {
			continue
		}
		p.popWaiter(i)
		w.ch <- connResult{pc: pc}
		return nil
	}
	if limit := t.opt.maxIdleConnsPerHost(); limit > 0 && len(p.idle) >= limit {
		return pc
	}
	p.idle = append(p.idle, pc)
	t.lru.push(pc)
	pc.idleAt = time.Now()
	if d := t.opt.idleConnTimeout(); d > 0 && !pc.timerArmed {
		if pc.idleTimer == nil {
			pc.idleTimer = time.AfterFunc(d, pc.onIdleTimer)
		} else {
			pc.idleTimer.Reset(d)
		}
		pc.timerArmed = true
	}
	if t.testHookIdle != nil {
		t.testHookIdle()
	}
	if limit := t.opt.maxIdleConns(); limit > 0 && t.lru.n > limit {
		victim = t.lru.head
		t.lru.remove(victim)
		victim.pool.removeIdle(victim)
	}
	return victim
}

// onIdleTimer closes pc if it has been idle for IdleConnTimeout. The
// timer is armed when a connection first goes idle and re-armed for the
// time left when it fires, rather than reset on every request.
func (pc *persistConn) onIdleTimer() {
	t := pc.t
	t.mu.Lock()
	if !pc.inIdle {
		pc.timerArmed = false
		t.mu.Unlock()
		return
	}
	if left := t.opt.idleConnTimeout() - time.Since(pc.idleAt); left > 0 {
		pc.idleTimer.Reset(left)
		t.mu.Unlock()
		return
	}
	pc.timerArmed = false
	t.lru.remove(pc)
	pc.pool.removeIdle(pc)
	t.mu.Unlock()
	t.closeConn(pc)
}

// closeConn closes pc, which is no longer in the pool, and frees its
// slot for a waiter. It must be called once per connection.
func (t *Transport) closeConn(pc *persistConn) {
	pc.conn.Close()
	if pc.idleTimer != nil {
		pc.idleTimer.Stop()
	}
	t.mu.Lock()
	p := pc.pool
	p.conns--
	victims := t.dialForWaitersLocked(p)
	t.dropPoolIfEmptyLocked(p)
	t.mu.Unlock()
	t.closeAll(victims)
}

func (t *Transport) closeAll(pcs []*persistConn) {
	for _, pc := range pcs {
		pc.conn.Close()
		if pc.idleTimer != nil {
			pc.idleTimer.Stop()
		}
	}
}

// dropPoolIfEmptyLocked forgets p once it has no connection and no
// waiter, so that a Transport talking to many hosts does not grow.
func (t *Transport) dropPoolIfEmptyLocked(p *hostPool) {
	if p.conns == 0 && len(p.waiters) == 0 && len(p.idle) == 0 && t.pools[p.key] == p {
		delete(t.pools, p.key)
	}
}

func (p *hostPool) popWaiter(i int) {
	copy(p.waiters[i:], p.waiters[i+1:])
	p.waiters[len(p.waiters)-1] = nil
	p.waiters = p.waiters[:len(p.waiters)-1]
}

func (p *hostPool) removeWaiter(w *waiter) bool {
	for i, x := range p.waiters {
		if x == w {
			p.popWaiter(i)
			return true
		}
	}
	return false
}

func (p *hostPool) removeIdle(pc *persistConn) {
	for i, x := range p.idle {
		if x == pc {
			copy(p.idle[i:], p.idle[i+1:])
			p.idle[len(p.idle)-1] = nil
			p.idle = p.idle[:len(p.idle)-1]
			return
		}
	}
}

// An idleList links every idle connection of a Transport, oldest first,
// so that MaxIdleConns closes the least recently used one.
type idleList struct {
	head, tail *persistConn
	n          int
}

func (l *idleList) push(pc *persistConn) {
	pc.prevIdle, pc.nextIdle, pc.inIdle = l.tail, nil, true
	if l.tail != nil {
		l.tail.nextIdle = pc
	} else {
		l.head = pc
	}
	l.tail = pc
	l.n++
}

func (l *idleList) remove(pc *persistConn) {
	if !pc.inIdle {
		return
	}
	if pc.prevIdle != nil {
		pc.prevIdle.nextIdle = pc.nextIdle
	} else {
		l.head = pc.nextIdle
	}
	if pc.nextIdle != nil {
		pc.nextIdle.prevIdle = pc.prevIdle
	} else {
		l.tail = pc.prevIdle
	}
	pc.prevIdle, pc.nextIdle, pc.inIdle = nil, nil, false
	l.n--
}
