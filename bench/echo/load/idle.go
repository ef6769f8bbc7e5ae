package main

import (
	"bytes"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// runIdle opens n connections, makes one echo of size bytes on each, says
// so on stdout and holds them until a signal or hold.
func runIdle(addr string, n, parallel, size int, hold time.Duration) error {
	sa, err := sockaddr(addr)
	if err != nil {
		return err
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	fds := make([]int, n)
	errs := make([]error, n)
	next := make(chan int)
	var wg sync.WaitGroup
	for range max(parallel, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			msg, got := make([]byte, size), make([]byte, size)
			for i := range next {
				fds[i], errs[i] = openIdle(sa, msg, got, i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	held, failed := 0, 0
	var firstErr error
	for i, fd := range fds {
		if fd >= 0 {
			held++
			defer closeReset(fd)
		} else {
			failed++
			if firstErr == nil {
				firstErr = errs[i]
			}
		}
	}
	if firstErr != nil {
		fmt.Fprintf(os.Stderr, "load: %d of %d connections failed, first: %v\n", failed, n, firstErr)
	}
	fmt.Printf("ready held=%d failed=%d\n", held, failed)
	select {
	case <-sig:
	case <-time.After(hold):
		fmt.Fprintln(os.Stderr, "load: -hold elapsed, closing the connections")
	}
	return nil
}

// openIdle connects and makes one echo of len(msg) bytes on a blocking
// socket (with a 10 s timeout each way), leaving the connection idle.
func openIdle(sa *unix.SockaddrInet4, msg, got []byte, i int) (int, error) {
	fd, err := dial(sa)
	if err != nil {
		return -1, err
	}
	tv := unix.Timeval{Sec: 10}
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &tv)
	for j := range msg {
		msg[j] = byte(i + j)
	}
	err = func() error {
		for sent := 0; sent < len(msg); {
			var n int
			err := retry(func() (err error) { n, err = unix.Write(fd, msg[sent:]); return })
			if err != nil {
				return fmt.Errorf("write: %w", err)
			}
			sent += n
		}
		for have := 0; have < len(got); {
			var n int
			err := retry(func() (err error) { n, err = unix.Read(fd, got[have:]); return })
			if err != nil {
				return fmt.Errorf("read: %w", err)
			}
			if n == 0 {
				return fmt.Errorf("read: server closed the connection")
			}
			have += n
		}
		if !bytes.Equal(got, msg) {
			return fmt.Errorf("echo differs from the message: %s", mismatch(got, msg))
		}
		return nil
	}()
	if err != nil {
		closeReset(fd)
		return -1, err
	}
	return fd, nil
}
