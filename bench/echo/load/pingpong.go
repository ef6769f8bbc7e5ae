package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// runPingPong makes round trips on one blocking socket for d: the least
// a client can add to each turn (one write, one read).
func runPingPong(sa *unix.SockaddrInet4, size int, d time.Duration, pid int, perf *perfControl) (result, error) {
	runtime.LockOSThread()
	fd, err := dial(sa)
	if err != nil {
		return result{}, err
	}
	defer closeReset(fd)
	msg, got := make([]byte, size), make([]byte, size)
	for j := range msg {
		msg[j] = byte(j)
	}
	w, err := startWindow(pid, perf)
	if err != nil {
		return result{}, err
	}
	end := w.start.Add(d)
	var roundTrips int64
	for seq := uint64(1); ; seq++ {
		binary.LittleEndian.PutUint64(msg, seq)
		for sent := 0; sent < len(msg); {
			var n int
			err := retry(func() (err error) { n, err = unix.Write(fd, msg[sent:]); return })
			if err != nil {
				return result{}, fmt.Errorf("write: %w", err)
			}
			sent += n
		}
		for have := 0; have < len(got); {
			var n int
			err := retry(func() (err error) { n, err = unix.Read(fd, got[have:]); return })
			if err != nil {
				return result{}, fmt.Errorf("read: %w", err)
			}
			if n == 0 {
				return result{}, fmt.Errorf("read: server closed the connection")
			}
			have += n
		}
		if !bytes.Equal(got, msg) {
			return result{}, fmt.Errorf("echo of message %d differs from it: %s", seq, mismatch(got, msg))
		}
		if !time.Now().Before(end) {
			break
		}
		roundTrips++
	}
	return w.end(end, 1, roundTrips)
}
