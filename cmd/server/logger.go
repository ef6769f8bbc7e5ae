package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
)

// newLogger is the server's log on w: slog text, or JSON with -log-json.
// In both, durations print as "1.5s" and values with a String method
// (ringhttp.Mode, addresses) by it, where slog's JSON would print
// nanoseconds or the value's fields. A recovered panic's "stack" is one
// JSON field; in text it follows its line as it is, multi-line, as
// net/http prints it.
func newLogger(w io.Writer, json bool) *slog.Logger {
	opts := &slog.HandlerOptions{ReplaceAttr: readable}
	if json {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(&stackText{Handler: slog.NewTextHandler(w, opts), w: w, mu: new(sync.Mutex)})
}

// readable is the loggers' ReplaceAttr.
func readable(_ []string, a slog.Attr) slog.Attr {
	switch v := a.Value; v.Kind() {
	case slog.KindDuration:
		a.Value = slog.StringValue(v.Duration().String())
	case slog.KindAny:
		if s, ok := v.Any().(fmt.Stringer); ok {
			a.Value = slog.StringValue(s.String())
		}
	}
	return a
}

// stackText is a text handler that writes the attribute "stack" (a
// goroutine dump: netfd's and ringhttp's recovered panics) after the
// record's line instead of quoting it into one line.
type stackText struct {
	slog.Handler // slog's text handler on w
	w            io.Writer
	mu           *sync.Mutex // one record's line and stack at a time
}

func (h *stackText) Handle(ctx context.Context, r slog.Record) error {
	var stack string
	line := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "stack" && a.Value.Kind() == slog.KindString {
			stack = a.Value.String()
		} else {
			line.AddAttrs(a)
		}
		return true
	})
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.Handler.Handle(ctx, line); err != nil || stack == "" {
		return err
	}
	if !strings.HasSuffix(stack, "\n") {
		stack += "\n"
	}
	_, err := io.WriteString(h.w, stack)
	return err
}

func (h *stackText) WithAttrs(as []slog.Attr) slog.Handler {
	return &stackText{Handler: h.Handler.WithAttrs(as), w: h.w, mu: h.mu}
}

func (h *stackText) WithGroup(name string) slog.Handler {
	return &stackText{Handler: h.Handler.WithGroup(name), w: h.w, mu: h.mu}
}
