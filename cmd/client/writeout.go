package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// A transfer is what -w reports of one URL's fetch. The fetch client's
// connections fill in the times and the address while it is current in
// the headLog; after headLog.finish nothing changes it.
type transfer struct {
	url        *url.URL // the effective URL: the last one asked for
	start      time.Time
	connected  time.Time // a new connection was made; zero if one was reused
	firstByte  time.Time // of the response
	end        time.Time
	remote     net.Addr       // of the connection that answered
	resp       *http.Response // the last response; nil if none
	redirects  int            // followed (-L)
	downloaded int64          // body bytes received, as sent (compressed with --compressed)
	exit       int            // the exit status
}

// response records resp as the transfer's last.
func (t *transfer) response(resp *http.Response) {
	t.resp = resp
	if resp.Request != nil && resp.Request.URL != nil {
		t.url = resp.Request.URL
	}
}

// writeOutVars are the -w variables, as curl names and prints them.
var writeOutVars = map[string]func(t *transfer) string{
	"http_code":          (*transfer).code,
	"response_code":      (*transfer).code,
	"size_download":      func(t *transfer) string { return strconv.FormatInt(t.downloaded, 10) },
	"time_total":         func(t *transfer) string { return t.since(t.end) },
	"time_connect":       func(t *transfer) string { return t.since(t.connected) },
	"time_starttransfer": func(t *transfer) string { return t.since(t.firstByte) },
	"content_type":       func(t *transfer) string { return t.header("Content-Type") },
	"url_effective":      func(t *transfer) string { return effectiveURL(t.url) },
	"num_redirects":      func(t *transfer) string { return strconv.Itoa(t.redirects) },
	"remote_ip":          func(t *transfer) string { ip, _ := t.remoteAddr(); return ip },
	"remote_port":        func(t *transfer) string { _, port := t.remoteAddr(); return port },
	"http_version":       (*transfer).httpVersion,
	"exitcode":           func(t *transfer) string { return strconv.Itoa(t.exit) },
}

// format expands a -w format for t: %{variable}, %% for %, and the
// escapes \n, \r and \t. Like curl, it prints other escapes and a %
// without a variable as they are, and warns on stderr of an unknown
// variable, which prints as nothing.
func (t *transfer) format(f string, stderr io.Writer) string {
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		c := f[i]
		switch {
		case c == '\\' && i+1 < len(f):
			i++
			switch f[i] {
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			default:
				b.WriteString(f[i-1 : i+1])
			}
		case c == '%' && strings.HasPrefix(f[i+1:], "%"):
			b.WriteByte('%')
			i++
		case c == '%' && strings.HasPrefix(f[i+1:], "{") && strings.Contains(f[i:], "}"):
			name, _, _ := strings.Cut(f[i+2:], "}")
			if v, ok := writeOutVars[name]; ok {
				b.WriteString(v(t))
			} else {
				fmt.Fprintf(stderr, "client: unknown -w variable: '%s'\n", name)
			}
			i += 2 + len(name)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// code is the status code in three digits, 000 without a response.
func (t *transfer) code() string {
	if t.resp == nil {
		return "000"
	}
	return fmt.Sprintf("%03d", t.resp.StatusCode)
}

// since is the seconds from the start to at, 0 if at never came.
func (t *transfer) since(at time.Time) string {
	d := time.Duration(0)
	if !at.IsZero() {
		d = at.Sub(t.start)
	}
	return fmt.Sprintf("%.6f", d.Seconds())
}

func (t *transfer) header(name string) string {
	if t.resp == nil {
		return ""
	}
	return t.resp.Header.Get(name)
}

func (t *transfer) httpVersion() string {
	if t.resp == nil {
		return "0"
	}
	return fmt.Sprintf("%d.%d", t.resp.ProtoMajor, t.resp.ProtoMinor)
}

// remoteAddr is the IP and port that answered, "" and "0" if none did.
func (t *transfer) remoteAddr() (ip, port string) {
	if t.remote == nil {
		return "", "0"
	}
	host, port, err := net.SplitHostPort(t.remote.String())
	if err != nil {
		return "", "0"
	}
	return host, port
}

// effectiveURL is u as curl prints it, with / for an empty path.
func effectiveURL(u *url.URL) string {
	if u.Path == "" && u.Opaque == "" {
		c := *u
		c.Path = "/"
		u = &c
	}
	return u.String()
}
