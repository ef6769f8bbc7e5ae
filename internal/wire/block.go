package wire

import (
	"bufio"
	"bytes"
	"io"
)

// readHeaderBlock returns the status line and header fields through the
// empty line that ends them, as one string, and consumes them from br.
// Lines must end in CRLF (ErrBareLF, as malformed). A block longer than
// limit is ErrHeaderTooLarge; br ending inside it is io.ErrUnexpectedEOF.
//
// The block is scanned in br's buffer (HeadScan) and copied once; only a
// block larger than the buffer is taken out of it line by line.
func readHeaderBlock(br *bufio.Reader, limit int) (string, error) {
	var s HeadScan
	for {
		buf, _ := br.Peek(br.Buffered())
		start, end, err := s.Scan(buf, HeadLimits{Bytes: limit})
		switch {
		case start > 0 || (err != nil && err != ErrNeedMore):
			return "", responseHeadError(err, start, buf)
		case err == nil:
			block := string(buf[:end])
			br.Discard(end)
			return block, nil
		case len(buf) == br.Size():
			return readLongHeaderBlock(br, limit)
		}
		if _, err := br.Peek(len(buf) + 1); err != nil {
			return "", unexpectedEOF(err)
		}
	}
}

// readLongHeaderBlock is readHeaderBlock for a block that does not fit in
// br's buffer: nothing has been consumed yet, so it starts over, taking
// the block out of br a line at a time (ReadSlice stops at a line's end,
// so no byte after the block is taken) and scanning it there. The bytes
// of br's buffer are scanned twice, once in each place.
func readLongHeaderBlock(br *bufio.Reader, limit int) (string, error) {
	var s HeadScan
	var block []byte
	for {
		frag, rerr := br.ReadSlice('\n')
		block = append(block, frag...)
		start, end, err := s.Scan(block, HeadLimits{Bytes: limit})
		switch {
		case start > 0 || (err != nil && err != ErrNeedMore):
			return "", responseHeadError(err, start, block)
		case err == nil:
			return string(block[:end]), nil
		case rerr != nil && rerr != bufio.ErrBufferFull:
			return "", unexpectedEOF(rerr)
		}
	}
}

// responseHeadError is the error for a head HeadScan refused, or that
// starts with an empty line (which a client does not skip, as net/http
// does not).
func responseHeadError(err error, start int, head []byte) error {
	switch {
	case start > 0:
		return malformed("HTTP response", "")
	case err == ErrBareLF:
		return malformed("line ending (bare LF)", string(bareLFLine(head)))
	}
	return ErrHeaderTooLarge // ErrHeaderTooLarge, or ErrStartLineTooLong: no Line limit is set
}

// bareLFLine returns the first line of head that ends in a bare LF.
func bareLFLine(head []byte) []byte {
	for line := 0; ; {
		i := bytes.IndexByte(head[line:], '\n')
		if i < 0 {
			return head[line:]
		}
		if lf := line + i; lf == 0 || head[lf-1] != '\r' {
			return head[line:lf]
		}
		line += i + 1
	}
}

func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
