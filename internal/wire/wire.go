// Package wire is the HTTP/1.1 message syntax shared by the server (http/)
// and the client (client/): one implementation of the chunked coding
// (ChunkedReader, ChunkedWriter), of finding where a message head ends
// (HeadScan, for request and response heads alike), of header field
// parsing and validation (ParseHeader, IsToken, ValidFieldValue,
// ParseContentLength, ShouldClose, ...), and of reading responses: from
// a bufio.Reader (ReadResponse), or from bytes as they arrive on an event
// loop (ResponseScan, cmd/client's load generator), the two reading any
// input alike.
//
// Parsing is strict where leniency lets two implementations read one
// message two ways (bare LF, whitespace before a colon, Content-Length
// next to Transfer-Encoding, loose chunk-size lines); elsewhere it reads
// messages as net/http does, and the tests hold it to that.
package wire
