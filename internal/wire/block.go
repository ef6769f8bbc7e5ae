package wire

import (
	"bufio"
	"bytes"
	"io"
)

// readHeaderBlock returns the status line and header fields through the
// empty line that ends them, as one string, and consumes them from br.
// Lines must end in CRLF (RFC 9112 §2.2: a recipient MAY accept a bare
// LF; we do not, so that no one reads these lines differently). A block
// longer than limit is ErrHeaderTooLarge; br ending inside it is
// io.ErrUnexpectedEOF.
//
// The block is scanned in br's buffer and copied once; only a block
// larger than the buffer is assembled line by line.
func readHeaderBlock(br *bufio.Reader, limit int) (string, error) {
	pos := 0 // start of the next line not yet seen whole
	for {
		buf, _ := br.Peek(br.Buffered())
		for {
			i := bytes.IndexByte(buf[pos:], '\n')
			if i < 0 {
				break
			}
			end := pos + i // index of '\n'
			if end == 0 || buf[end-1] != '\r' {
				return "", malformed("line ending (bare LF)", string(buf[pos:end]))
			}
			if end+1 > limit {
				return "", ErrHeaderTooLarge
			}
			if end-1 == pos { // an empty line
				if pos == 0 {
					return "", malformed("HTTP response", "")
				}
				block := string(buf[:end+1])
				br.Discard(end + 1)
				return block, nil
			}
			pos = end + 1
		}
		if len(buf) > limit {
			return "", ErrHeaderTooLarge
		}
		if len(buf) == br.Size() {
			return readLongHeaderBlock(br, limit)
		}
		if _, err := br.Peek(len(buf) + 1); err != nil {
			return "", unexpectedEOF(err)
		}
	}
}

// readLongHeaderBlock is readHeaderBlock for a block that does not fit in
// br's buffer: nothing has been consumed yet, so it starts over and
// collects the lines.
func readLongHeaderBlock(br *bufio.Reader, limit int) (string, error) {
	var block []byte
	start := 0 // where the current line starts in block
	for {
		frag, err := br.ReadSlice('\n')
		block = append(block, frag...)
		if len(block) > limit {
			return "", ErrHeaderTooLarge
		}
		switch err {
		case nil:
		case bufio.ErrBufferFull:
			continue
		default:
			return "", unexpectedEOF(err)
		}
		line := block[start : len(block)-1] // without the '\n'
		if len(line) == 0 || line[len(line)-1] != '\r' {
			return "", malformed("line ending (bare LF)", string(line))
		}
		if len(line) == 1 { // an empty line
			if start == 0 {
				return "", malformed("HTTP response", "")
			}
			return string(block), nil
		}
		start = len(block)
	}
}

func unexpectedEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
