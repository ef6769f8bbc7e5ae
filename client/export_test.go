package client

// Test hooks, reachable from package client_test.

// SetTestHookQueued makes t call f (with its lock held: f must not call
// t) each time a request joins a host's queue of waiters.
func SetTestHookQueued(t *Transport, f func()) { t.testHookQueued = f }

// SetTestHookIdle makes t call f (with its lock held) each time a
// connection goes idle in the pool.
func SetTestHookIdle(t *Transport, f func()) { t.testHookIdle = f }

// IdleConns is the number of idle connections in t's pool.
func IdleConns(t *Transport) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.lru.n
}

// DisableLivenessCheck makes t reuse idle connections without looking.
func DisableLivenessCheck(t *Transport) { t.noLivenessCheck = true }
