package http

import (
	"net/http"
	"sync/atomic"
	"time"
)

// dateCache formats the Date header value once per second per server,
// instead of once per response.
type dateCache struct {
	cur atomic.Pointer[dateValue]
}

type dateValue struct {
	sec int64
	b   []byte // "Mon, 02 Jan 2006 15:04:05 GMT"
}

// get returns the Date value for now; callers must not modify it.
func (d *dateCache) get(now time.Time) []byte {
	if v := d.cur.Load(); v != nil && v.sec == now.Unix() {
		return v.b
	}
	v := &dateValue{sec: now.Unix(), b: now.UTC().AppendFormat(make([]byte, 0, 29), http.TimeFormat)}
	d.cur.Store(v)
	return v.b
}
