package compat_test

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
)

// An obs is what an application observed during a scenario: named fields
// in the order the scenario recorded them. The order is part of the
// observation: it is the order of events.
type obs struct {
	fields []field
}

type field struct {
	name, value string
}

// set records name = value.
func (o *obs) set(name, value string) {
	o.fields = append(o.fields, field{name, value})
}

// setf records name = fmt.Sprintf(format, args...).
func (o *obs) setf(name, format string, args ...any) {
	o.set(name, fmt.Sprintf(format, args...))
}

// data records bytes: quoted when short, else their length and sha256.
func (o *obs) data(name string, b []byte) {
	o.set(name, dataDesc(b))
}

func dataDesc(b []byte) string {
	if len(b) <= 64 {
		return fmt.Sprintf("%q", b)
	}
	return fmt.Sprintf("len=%d sha256=%x", len(b), sha256.Sum256(b))
}

// err records err's class, its *net.OpError Op, the chain of error types
// and its message with addresses replaced, under name.class, name.op,
// name.shape and name.msg.
func (o *obs) err(name string, err error) {
	o.set(name+".class", errClass(err))
	o.set(name+".op", errOp(err))
	o.set(name+".shape", errShape(err))
	o.set(name+".msg", errMsg(err))
}

// io records the result of a Read or Write: the count and the error.
func (o *obs) io(name string, n int, err error) {
	o.setf(name+".n", "%d", n)
	o.err(name, err)
}

// String lists the fields one a line, in order.
func (o *obs) String() string {
	var b strings.Builder
	for _, f := range o.fields {
		fmt.Fprintf(&b, "  %s = %s\n", f.name, f.value)
	}
	return b.String()
}

// duplicate returns a field name recorded twice, or "".
func (o *obs) duplicate() string {
	seen := make(map[string]bool)
	for _, f := range o.fields {
		if seen[f.name] {
			return f.name
		}
		seen[f.name] = true
	}
	return ""
}

// errClass sorts err into the classes an application tells apart.
func errClass(err error) string {
	var ne net.Error
	switch {
	case err == nil:
		return "nil"
	case errors.Is(err, io.EOF):
		return "EOF"
	case errors.Is(err, syscall.ECONNRESET):
		return "ECONNRESET"
	case errors.Is(err, syscall.EPIPE):
		return "EPIPE"
	case errors.Is(err, net.ErrClosed):
		return "closed"
	case errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	}
	return "other:" + errMsg(err)
}

// errOp is the Op of the *net.OpError in err's chain, or "-".
func errOp(err error) string {
	var oe *net.OpError
	if errors.As(err, &oe) {
		return oe.Op
	}
	return "-"
}

// errShape is the chain of dynamic types errors.Unwrap walks through, as
// in "*net.OpError > *os.SyscallError > syscall.Errno".
func errShape(err error) string {
	if err == nil {
		return "-"
	}
	var types []string
	for e := err; e != nil; e = errors.Unwrap(e) {
		types = append(types, fmt.Sprintf("%T", e))
	}
	return strings.Join(types, " > ")
}

// errMsg is err.Error() with the addresses of a *net.OpError replaced by
// <src> and <dst>: ports and socket paths differ from run to run.
func errMsg(err error) string {
	if err == nil {
		return "-"
	}
	s := err.Error()
	var oe *net.OpError
	if errors.As(err, &oe) {
		if oe.Source != nil {
			if a := oe.Source.String(); a != "" {
				s = strings.Replace(s, a, "<src>", 1)
			}
		}
		if oe.Addr != nil {
			if a := oe.Addr.String(); a != "" {
				s = strings.Replace(s, a, "<dst>", 1)
			}
		}
	}
	return s
}

// addrDesc describes a as the application sees it, with the parts that
// change from run to run (ports, socket paths) replaced.
func addrDesc(a net.Addr, path string) string {
	if a == nil {
		return "nil"
	}
	s := a.String()
	if path != "" {
		s = strings.ReplaceAll(s, path, "<path>")
	}
	if host, port, err := net.SplitHostPort(s); err == nil && port != "0" && port != "" {
		s = net.JoinHostPort(host, "<port>")
	}
	return fmt.Sprintf("%T network=%q %q", a, a.Network(), s)
}

// diff describes how got (observed on backend name) differs from want
// (observed on std), field by field; "" means no difference.
func diff(want, got *obs, name string) string {
	var b strings.Builder
	gotBy := make(map[string]string, len(got.fields))
	for _, f := range got.fields {
		gotBy[f.name] = f.value
	}
	wantBy := make(map[string]string, len(want.fields))
	for _, f := range want.fields {
		wantBy[f.name] = f.value
		g, ok := gotBy[f.name]
		switch {
		case !ok:
			fmt.Fprintf(&b, "  %s: std %s, %s recorded nothing\n", f.name, f.value, name)
		case g != f.value:
			fmt.Fprintf(&b, "  %s: std %s, %s %s\n", f.name, f.value, name, g)
		}
	}
	for _, f := range got.fields {
		if _, ok := wantBy[f.name]; !ok {
			fmt.Fprintf(&b, "  %s: std recorded nothing, %s %s\n", f.name, name, f.value)
		}
	}
	if b.Len() == 0 && !sameOrder(want, got) {
		fmt.Fprintf(&b, "  order of events: std %s; %s %s\n", names(want), name, names(got))
	}
	return b.String()
}

func sameOrder(a, b *obs) bool {
	if len(a.fields) != len(b.fields) {
		return false
	}
	for i := range a.fields {
		if a.fields[i].name != b.fields[i].name {
			return false
		}
	}
	return true
}

func names(o *obs) string {
	ns := make([]string, len(o.fields))
	for i, f := range o.fields {
		ns[i] = f.name
	}
	return "[" + strings.Join(ns, " ") + "]"
}
