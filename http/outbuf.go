package http

// outBuf collects response bytes for one connection until they are
// written to it: responses of pipelined requests accumulate here and go
// out in one write. It is an io.Writer so http.Header.Write can target it.
type outBuf struct {
	b []byte
}

func (o *outBuf) Write(p []byte) (int, error) {
	o.b = append(o.b, p...)
	return len(p), nil
}

func (o *outBuf) WriteString(s string) (int, error) {
	o.b = append(o.b, s...)
	return len(s), nil
}
