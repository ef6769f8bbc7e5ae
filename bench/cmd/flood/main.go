// Command flood opens connections to a server at a fixed rate and resets
// each as soon as it is established (SO_LINGER 0, then close: an RST), for
// a bounded time, and reports what the kernel's listen queue did meanwhile:
// the TcpExt ListenOverflows and ListenDrops counters of /proc/net/netstat,
// before and after. The counters are those of the network namespace: run
// it and the server in a namespace of their own (bench/flood.sh does) so
// that nothing else counts. It prints one line:
//
//	attempted=50000 connected=50000 failed=0 rate=9998 overflows=0 drops=0 ok=1
//
// ok=1 when a GET -path on a fresh connection after the flood got a 200:
// the server still serves.
//
//	flood -addr 127.0.0.1:8080 -rate 10000 -d 5s
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "server address")
	rate := flag.Int("rate", 10000, "connections per second")
	d := flag.Duration("d", 5*time.Second, "how long to flood")
	workers := flag.Int("workers", 64, "connecting threads")
	path := flag.String("path", "/plaintext", "path of the GET made after the flood")
	flag.Parse()

	before, err := listenCounters()
	if err != nil {
		fmt.Fprintln(os.Stderr, "flood:", err)
		os.Exit(1)
	}
	ap, err := netip.ParseAddrPort(*addr)
	if err != nil || !ap.Addr().Is4() {
		fmt.Fprintln(os.Stderr, "flood: -addr must be IPv4:port")
		os.Exit(2)
	}
	sa := &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}
	total := int64(d.Seconds() * float64(*rate))
	var attempted, connected, failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	// Blocking connects on workers: on loopback connect returns once the
	// handshake is done, unless the SYN was dropped (a full queue), when
	// the worker waits for the retransmission and the others go on.
	// Connection n starts at start + n/rate.
	for range *workers {
		wg.Go(func() {
			for {
				n := attempted.Add(1)
				if n > total {
					attempted.Add(-1)
					return
				}
				if wait := time.Until(start.Add(time.Duration(float64(n) / float64(*rate) * float64(time.Second)))); wait > 0 {
					time.Sleep(wait)
				}
				if connectReset(sa) != nil {
					failed.Add(1)
				} else {
					connected.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	after, err := listenCounters()
	if err != nil {
		fmt.Fprintln(os.Stderr, "flood:", err)
		os.Exit(1)
	}
	ok := 0
	if resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + *addr + *path); err == nil {
		if resp.StatusCode == 200 {
			ok = 1
		}
		resp.Body.Close()
	}
	fmt.Printf("attempted=%d connected=%d failed=%d rate=%.0f overflows=%d drops=%d ok=%d\n",
		attempted.Load(), connected.Load(), failed.Load(), float64(attempted.Load())/elapsed.Seconds(),
		after[0]-before[0], after[1]-before[1], ok)
}

// connectReset connects to sa and resets the connection: SO_LINGER 0,
// then close.
func connectReset(sa *unix.SockaddrInet4) error {
	s, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(s)
	unix.SetsockoptTimeval(s, unix.SOL_SOCKET, unix.SO_SNDTIMEO, &unix.Timeval{Sec: 3})
	if err := unix.Connect(s, sa); err != nil {
		return err
	}
	return unix.SetsockoptLinger(s, unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0})
}

// listenCounters reads TcpExt ListenOverflows and ListenDrops.
func listenCounters() ([2]int64, error) {
	var out [2]int64
	f, err := os.Open("/proc/net/netstat")
	if err != nil {
		return out, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		names := strings.Fields(sc.Text())
		if !sc.Scan() {
			break
		}
		values := strings.Fields(sc.Text())
		if len(names) == 0 || names[0] != "TcpExt:" || len(values) != len(names) {
			continue
		}
		found := 0
		for i, n := range names {
			switch n {
			case "ListenOverflows":
				out[0], _ = strconv.ParseInt(values[i], 10, 64)
				found++
			case "ListenDrops":
				out[1], _ = strconv.ParseInt(values[i], 10, 64)
				found++
			}
		}
		if found == 2 {
			return out, nil
		}
	}
	return out, fmt.Errorf("no TcpExt ListenOverflows/ListenDrops in /proc/net/netstat")
}
