// Package http is ringnet's HTTP/1.1 server engine. It serves standard
// net/http Handlers over any net.Listener: netfd's epoll or io_uring
// listeners, or Go's own. Parsing, framing, connection management and
// response writing are this package's own; net/http supplies the types
// handlers see (Request, Header, ResponseWriter), and HTTP/2, which it
// serves over TLS (h2.go).
//
// Migrating is one import:
//
//	http.ListenAndServe(":8080", nil)      // net/http
//	ringhttp.ListenAndServe(":8080", nil)  // ringnet, handlers untouched
//
// Where a byte goes, on the default path (a netfd listener, served on
// netfd's event loops):
//
//   - loop.go: a loop's OnData hands the bytes that arrived to serveLoop,
//     and the connection's reader (reader.go) takes the loop's buffer as
//     its own, without a copy.
//   - conn.go: the phase machine (run) reads every request complete in
//     them and runs its handler, there on the loop. readHead takes each
//     head out of the reader (parse.go's
//     takeHead; the scan is internal/wire's HeadScan, a function of the
//     bytes, which says ErrNeedMore while the head has not ended: the
//     loop then keeps those bytes and delivers them again with what
//     follows).
//   - parse.go: request line and header fields → *http.Request.
//   - framing.go: Content-Length / Transfer-Encoding → how long the body is.
//   - body.go, chunked.go: the request body as the handler reads it.
//   - response.go: the ResponseWriter and its 2048-byte body buffer.
//   - commit.go: the response framing decision, status line and header.
//   - outbuf.go, connwrite.go: the output buffer every response byte
//     collects in, and the writes to the connection: on a loop one
//     LoopConn.Write (loopConn, loop.go) for the responses to all the
//     requests of one delivery, sent at the end of the loop's pass.
//   - readfrom.go: io.Copy into the ResponseWriter (ServeContent,
//     ServeFile, FileServer): a file goes to the connection's ReadFrom,
//     sendfile(2), not through these buffers. fs.go: FS, an http.FS that
//     lets an fs.FS's *os.File through to it.
//   - mode.go: the connection's mode, and every move between modes. A
//     handler that needs what only a goroutine can do (read body bytes
//     that have not arrived, Hijack, write after its loop was handed off)
//     moves the connection off its loop (leaveLoop): the same phase
//     machine then serves it on that goroutine, reading and writing the
//     socket, until it is idle and rejoins a loop. A handler's goroutines
//     may read the body and write 1xx or flushes at once: body.go and
//     mode.go say which lock guards each crossing.
//
// The goroutine engine (ModeGoroutine, TLS, other listeners) runs the same
// phase machine on a goroutine per connection (serve), reading the
// net.Conn into the reader's own buffer. Around both:
//
//   - watch.go: noticing a client that went away while a handler waits.
//   - server.go: Server, listening, Shutdown and Close; the loops' sweeper
//     of timeouts is in loop.go.
//   - serve.go: the package-level ListenAndServe, ListenAndServeTLS,
//     Serve and ServeTLS, as net/http has them.
//   - h2.go: HTTP/2. A TLS connection that negotiated "h2", or a
//     cleartext one that opens with the HTTP/2 preface when Protocols has
//     UnencryptedHTTP2, is handed to net/http's own HTTP/2 server, one per
//     Server, which Shutdown and Close reach as they reach the engine's
//     connections.
//   - date.go: the Date header, formatted once per second.
//   - errors.go: error values and the canned error responses.
//
// Defaults differ from net/http's where net/http's are unsafe: a zero
// ReadHeaderTimeout means 10 s and a zero IdleTimeout 120 s (unless
// ReadTimeout is set, which then serves for both, as in net/http);
// negative values disable them. MaxHeaderBytes defaults to 1 MiB, as in
// net/http. docs/conformance.md lists every place where this server
// answers differently from net/http and why.
//
// Server.BackendInUse reports which netfd backend the listener being served
// runs on. Server.ErrorLog is a *slog.Logger where net/http's is a
// *log.Logger: the one field whose type differs.
//
// Server.Protocols says which protocols are served, as in net/http: HTTP/1
// and, over TLS, HTTP/2 by default; HTTP/2 off (ALPN then offers only
// http/1.1), or h2c with prior knowledge on.
package http
