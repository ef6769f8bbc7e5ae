package client

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/ringnet/ringnet/internal/wire"
)

// One request on one connection, all on the requesting goroutine: write
// the header (and a small in-memory body) with one write, read the
// response header through the connection's bufio.Reader, hand the
// connection to the response body. Only a body that may block (a pipe,
// a file, anything without GetBody) or is large gets a goroutine of its
// own, so that a server that answers before reading it all is heard.
// The request's context is watched by context.AfterFunc, which closes
// the connection: no goroutine waits on it.

// roundTrip sends req on pc, which the caller got from getConn, and
// reads the response header. On success pc belongs to the response body,
// or is back in the pool if there is none. On error pc is closed, and
// retry says whether RoundTrip may send req again on a new connection.
func (pc *persistConn) roundTrip(ctx context.Context, req *http.Request) (resp *http.Response, retry bool, err error) {
	o := &pc.t.opt
	reused := pc.reused
	pc.reused = true
	startRead, startWritten := pc.nread.Load(), pc.nwritten.Load()
	pc.bodyErr, pc.headerDone, pc.hdrDeadline, pc.bodyTaken = nil, false, false, false
	if ctx.Done() != nil {
		pc.stopWatch = context.AfterFunc(ctx, pc.cancelFn)
	}

	connClose := wire.HasListToken(req.Header["Connection"], "close")
	sendClose := req.Close || o.DisableKeepAlives && !connClose && !isUpgrade(req)
	keep := !req.Close && !o.DisableKeepAlives && !connClose
	addGzip := !o.DisableCompression && req.Method != "HEAD" &&
		field(req.Header, "Accept-Encoding") == "" && field(req.Header, "Range") == ""
	f := framingOf(req)
	pc.writeHeader(req, f, addGzip, sendClose)

	switch {
	case !f.body:
		err = pc.bw.Flush()
	case f.expect && o.expectContinueTimeout() > 0:
		resp, err = pc.expectContinue(req, f)
	default:
		err = pc.sendBody(req, f)
	}
	if err == nil && resp == nil {
		pc.armHeaderTimeout()
		resp, err = pc.readResponse(req, false)
		if err != nil && o.ResponseHeaderTimeout > 0 && isTimeout(err) {
			err = errResponseHeaderTimeout
		}
		pc.disarmHeaderTimeout()
	}
	if err != nil {
		retry, err = pc.fail(ctx, req, err, reused, startRead, startWritten)
		return nil, retry, err
	}
	return pc.gotHeader(ctx, req, resp, addGzip, keep && !resp.Close), false, nil
}

// expectContinue sends the header of a request with "Expect:
// 100-continue" and waits up to ExpectContinueTimeout for the server's
// answer before sending the body. A final response instead of 100 is
// returned; its body is sent anyway if the connection stays open (the
// server then reads and discards it), as net/http does.
func (pc *persistConn) expectContinue(req *http.Request, f framing) (*http.Response, error) {
	if err := pc.bw.Flush(); err != nil {
		pc.dropBody(req)
		return nil, err
	}
	pc.conn.SetReadDeadline(time.Now().Add(pc.t.opt.expectContinueTimeout()))
	_, err := pc.br.Peek(1)
	pc.conn.SetReadDeadline(time.Time{})
	if err != nil {
		if !isTimeout(err) || pc.canceled.Load() {
			pc.dropBody(req)
			return nil, err
		}
		return nil, pc.sendBody(req, f) // no answer in time: send it
	}
	resp, err := pc.readResponse(req, true)
	if err != nil {
		pc.dropBody(req)
		return nil, err
	}
	if resp.StatusCode == http.StatusContinue {
		return nil, pc.sendBody(req, f)
	}
	if resp.Close || req.Close {
		pc.dropBody(req)
	} else {
		pc.bodyTaken = true
		pc.startBodyWriter(req, f) // its result decides whether pc is reused
	}
	return resp, nil
}

// dropBody closes the request body, which will not be sent.
func (pc *persistConn) dropBody(req *http.Request) {
	pc.bodyTaken = true
	closeReqBody(req)
}

// sendBody writes the body now if it is small and in memory, else
// starts a goroutine that writes it.
func (pc *persistConn) sendBody(req *http.Request, f framing) error {
	pc.bodyTaken = true
	if f.sync {
		return pc.writeBody(req, f)
	}
	pc.startBodyWriter(req, f)
	return nil
}

// startBodyWriter writes the request body on a goroutine of its own.
func (pc *persistConn) startBodyWriter(req *http.Request, f framing) {
	if pc.wroteCh == nil {
		pc.wroteCh = make(chan struct{}, 1)
	}
	select {
	case <-pc.wroteCh: // from an earlier request's writer
	default:
	}
	pc.mu.Lock()
	pc.writing, pc.wrote, pc.writeErr, pc.respDone, pc.aborted, pc.writeTimer = true, false, nil, false, false, nil
	pc.mu.Unlock()
	go pc.bodyWriter(req, f)
}

func (pc *persistConn) bodyWriter(req *http.Request, f framing) {
	err := pc.writeBody(req, f)
	pc.mu.Lock()
	switch {
	case pc.bodyErr != nil:
		// The request cannot be completed: wake the reader of its response.
		pc.conn.Close()
	case err == nil && pc.t.opt.ResponseHeaderTimeout > 0 && !pc.headerDone:
		pc.conn.SetReadDeadline(time.Now().Add(pc.t.opt.ResponseHeaderTimeout))
		pc.hdrDeadline = true
	}
	// A write error leaves the connection be: the server may have
	// answered before it stopped reading, and the response is read anyway.
	pc.wrote, pc.writeErr = true, err
	handOff, keep, tm := pc.respDone, pc.respKeep && err == nil && !pc.aborted, pc.writeTimer
	pc.mu.Unlock()
	select {
	case pc.wroteCh <- struct{}{}:
	default:
	}
	if handOff { // the response ended first and left the connection to us
		if tm != nil {
			tm.Stop()
		}
		pc.finishRelease(keep)
	}
}

// armHeaderTimeout starts ResponseHeaderTimeout once the request is
// written; the body writer starts it for a body it writes.
func (pc *persistConn) armHeaderTimeout() {
	d := pc.t.opt.ResponseHeaderTimeout
	if d <= 0 || pc.writing {
		return
	}
	pc.conn.SetReadDeadline(time.Now().Add(d))
	pc.hdrDeadline = true
}

func (pc *persistConn) disarmHeaderTimeout() {
	if pc.t.opt.ResponseHeaderTimeout <= 0 {
		return
	}
	pc.mu.Lock()
	pc.headerDone = true
	if pc.hdrDeadline {
		pc.conn.SetReadDeadline(time.Time{})
		pc.hdrDeadline = false
	}
	pc.mu.Unlock()
}

// readResponse reads the response header, skipping informational
// responses but 101 (and 100 if stopAt100).
func (pc *persistConn) readResponse(req *http.Request, stopAt100 bool) (*http.Response, error) {
	// A connection closed before the response began is io.EOF, as in
	// net/http (a response cut short is io.ErrUnexpectedEOF).
	if _, err := pc.br.Peek(1); err != nil {
		return nil, err
	}
	for n := 0; ; n++ {
		resp, err := wire.ReadResponse(pc.br, req)
		if err != nil {
			return nil, err
		}
		code := resp.StatusCode
		if code < 100 || code > 199 || code == http.StatusSwitchingProtocols || code == http.StatusContinue && stopAt100 {
			return resp, nil
		}
		if n == max1xx {
			return nil, errTooMany1xx
		}
	}
}

// gotHeader gives the connection to the response body, or releases it
// if there is no body.
func (pc *persistConn) gotHeader(ctx context.Context, req *http.Request, resp *http.Response, addGzip, keep bool) *http.Response {
	resp.Request = req
	if pc.tlsState != nil {
		st := *pc.tlsState
		resp.TLS = &st
	}
	if resp.StatusCode == http.StatusSwitchingProtocols {
		pc.stopWatching()
		resp.Body = &switchBody{pc: pc}
		return resp
	}
	if req.Method == "HEAD" || resp.ContentLength == 0 || resp.Body == nil || resp.Body == http.NoBody ||
		resp.StatusCode == http.StatusNoContent || resp.StatusCode == http.StatusNotModified {
		if resp.Body != nil && resp.Body != http.NoBody {
			resp.Body.Close()
		}
		resp.Body = http.NoBody
		pc.release(keep)
		return resp
	}
	b := &respBody{pc: pc, body: resp.Body, ctx: ctx, keep: keep, left: resp.ContentLength}
	resp.Body = b
	if addGzip && wire.EqualFoldASCII(field(resp.Header, "Content-Encoding"), "gzip") {
		resp.Body = &gzipBody{body: b}
		resp.Header.Del("Content-Encoding")
		resp.Header.Del("Content-Length")
		resp.ContentLength = -1
		resp.Uncompressed = true
	}
	return resp
}

// release ends the request on pc: back to the pool if keep and all went
// well, else closed. A connection whose response ended before its
// request body was all written waits for the body writer: up to
// writeWaitInline here, as net/http does, so that the caller's next
// request finds it in the pool; then up to writeWaitOnReuse in the
// background, the writer releasing it.
func (pc *persistConn) release(keep bool) {
	if !pc.stopWatching() {
		keep = false
	}
	if pc.writing && keep {
		pc.waitWrite(writeWaitInline)
	}
	if pc.writing {
		pc.mu.Lock()
		if !pc.wrote {
			if keep {
				pc.respDone, pc.respKeep = true, true
				pc.writeTimer = time.AfterFunc(writeWaitOnReuse, pc.abortWrite)
				pc.mu.Unlock()
				return
			}
			pc.mu.Unlock()
			pc.t.closeConn(pc) // the writer fails, and leaves pc alone
			return
		}
		keep = keep && pc.writeErr == nil
		pc.mu.Unlock()
	}
	pc.finishRelease(keep)
}

// waitWrite waits up to d for the body writer to finish.
func (pc *persistConn) waitWrite(d time.Duration) {
	pc.mu.Lock()
	wrote := pc.wrote
	pc.mu.Unlock()
	if wrote {
		return
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-pc.wroteCh:
	case <-tm.C:
	}
}

func (pc *persistConn) finishRelease(keep bool) {
	pc.writing = false
	if keep && pc.br.Buffered() > 0 {
		keep = false // bytes nobody asked for
	}
	if keep {
		pc.t.putConn(pc)
	} else {
		pc.t.closeConn(pc)
	}
}

// abortWrite gives up on a request body that is still being written
// writeWaitOnReuse after its response ended: the body writer fails, and
// closes the connection.
func (pc *persistConn) abortWrite() {
	pc.mu.Lock()
	if pc.wrote { // too late: the writer has it
		pc.mu.Unlock()
		return
	}
	pc.aborted = true
	pc.mu.Unlock()
	pc.conn.Close()
}

// stopWatching stops watching the request's context; false means the
// context ended first, and the connection is closed.
func (pc *persistConn) stopWatching() bool {
	if pc.stopWatch == nil {
		return !pc.canceled.Load()
	}
	ok := pc.stopWatch()
	pc.stopWatch = nil
	return ok
}

// fail closes pc after req failed on it with err, and says which error
// RoundTrip reports and whether it may retry.
func (pc *persistConn) fail(ctx context.Context, req *http.Request, err error, reused bool, startRead, startWritten int64) (retry bool, _ error) {
	pc.conn.Close()
	pc.stopWatching()
	err = pc.mapErr(ctx, err)
	pc.mu.Lock()
	bodyErr := pc.bodyErr
	pc.mu.Unlock()
	retry = reused && !pc.canceled.Load() && bodyErr == nil &&
		pc.nread.Load() == startRead && // no byte of a response arrived
		(!hasBody(req) || req.GetBody != nil) &&
		(idempotent(req) || pc.nwritten.Load() == startWritten)
	if !pc.bodyTaken {
		pc.dropBody(req)
	}
	pc.t.closeConn(pc)
	return retry, err
}

// mapErr says why a request failed: its context ended, or reading its
// body failed, or err.
func (pc *persistConn) mapErr(ctx context.Context, err error) error {
	if pc.canceled.Load() {
		if cause := context.Cause(ctx); cause != nil {
			return cause
		}
	}
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if pc.bodyErr != nil {
		return pc.bodyErr
	}
	return err
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// isUpgrade reports whether req asks to switch protocols (RFC 9110 §7.8).
func isUpgrade(req *http.Request) bool {
	return req.Header["Upgrade"] != nil && wire.HasListToken(req.Header["Connection"], "upgrade")
}

// field is h.Get(k) for a canonical k, without canonicalizing it again.
func field(h http.Header, k string) string {
	if v := h[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}
