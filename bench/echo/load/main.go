// Command load is the load generator of the echo benchmark (issue 11,
// bench/echo/run.sh). It has three modes; each prints one line of
// key=value pairs on stdout for the script to read.
//
// -mode conns: -conns connections (256) on one epoll instance in one
// thread, as wrk runs; each makes round trips of -size bytes (1 KiB) in a
// closed loop: write the message, read all of it back, check it, write
// the next one. Connections are made first; the timed window of -duration
// starts when the first messages go out. A round trip counts when its
// last byte arrived inside the window.
//
//	mode=conns conns=256 size=1024 seconds=5.000 round_trips=812345 rt_per_s=162469 server_cpu_ticks=480 load_cpu_pct=99.1
//
// -mode pingpong: one connection on a blocking socket: write -size bytes,
// read them back, again, for -duration. Same output with conns=1.
//
// server_cpu_ticks is the utime+stime (in clock ticks) the process -pid
// used over the timed window, from /proc/PID/stat; load_cpu_pct is this
// process's own CPU over the window (near 100 on one core: the load
// generator, not the server, set the pace).
//
// -mode idle: opens -n connections (-parallel at a time), makes one
// -size echo on each, and holds them; once all are set up it prints
//
//	ready held=10000 failed=0
//
// and keeps them until SIGTERM or SIGINT (or -hold), then closes them.
//
// With -perf-ctl and -perf-ack (the fifos of perf stat --control
// fifo:CTL,ACK, started with -D -1) perf counts the server over the timed
// window only: the load generator sends "enable" just before the window
// and "disable" just after it, and waits for perf's ack each time.
//
// Every connection is closed with SO_LINGER 0, so a series of runs leaves
// no TIME_WAIT sockets behind. Run it pinned (taskset -c 1): the Go runtime
// then uses one P.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

func main() {
	mode := flag.String("mode", "conns", "conns, pingpong or idle")
	addr := flag.String("addr", "127.0.0.1:9000", "server address (IPv4 host:port)")
	conns := flag.Int("conns", 256, "conns mode: connections")
	size := flag.Int("size", 1024, "bytes per message")
	duration := flag.Duration("duration", 5*time.Second, "conns, pingpong: timed window")
	pid := flag.Int("pid", 0, "conns, pingpong: server process whose CPU time to report")
	n := flag.Int("n", 10000, "idle mode: connections to open and hold")
	parallel := flag.Int("parallel", 64, "idle mode: connections being set up at once")
	hold := flag.Duration("hold", 2*time.Minute, "idle mode: give up holding after this long")
	perfCtl := flag.String("perf-ctl", "", "conns, pingpong: perf stat's control fifo")
	perfAck := flag.String("perf-ack", "", "conns, pingpong: perf stat's ack fifo")
	flag.Parse()
	if *size <= 8 {
		fail(fmt.Errorf("-size must be more than 8 (the message carries a sequence number)"))
	}
	sa, err := sockaddr(*addr)
	if err != nil {
		fail(err)
	}
	switch *mode {
	case "conns", "pingpong":
		var perf *perfControl
		if *perfCtl != "" || *perfAck != "" {
			if perf, err = openPerfControl(*perfCtl, *perfAck); err != nil {
				fail(err)
			}
		}
		var r result
		if *mode == "conns" {
			r, err = runConns(sa, *conns, *size, *duration, *pid, perf)
		} else {
			r, err = runPingPong(sa, *size, *duration, *pid, perf)
		}
		if err != nil {
			fail(err)
		}
		r.print(*mode, *size)
	case "idle":
		err = runIdle(*addr, *n, *parallel, *size, *hold)
	default:
		err = fmt.Errorf("unknown -mode %q", *mode)
	}
	if err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "load:", err)
	os.Exit(1)
}

// result is what a timed run measured.
type result struct {
	conns      int
	elapsed    time.Duration // the timed window
	roundTrips int64         // completed inside the window
	serverCPU  int64         // clock ticks, -1 if unknown
	loadCPU    time.Duration // this process, over the window
}

func (r result) print(mode string, size int) {
	s := r.elapsed.Seconds()
	fmt.Printf("mode=%s conns=%d size=%d seconds=%.3f round_trips=%d rt_per_s=%.0f server_cpu_ticks=%d load_cpu_pct=%.1f\n",
		mode, r.conns, size, s, r.roundTrips, float64(r.roundTrips)/s, r.serverCPU, 100*r.loadCPU.Seconds()/s)
}

// window samples the server's and this process's CPU time at the start and
// the end of a timed window, and has perf count over it.
type window struct {
	pid     int
	perf    *perfControl
	start   time.Time
	server0 int64
	self0   time.Duration
}

func startWindow(pid int, perf *perfControl) (*window, error) {
	if err := perf.command("enable"); err != nil {
		return nil, err
	}
	w := &window{pid: pid, perf: perf, server0: cpuTicks(pid), self0: selfCPU()}
	w.start = time.Now()
	return w, nil
}

func (w *window) end(end time.Time, conns int, roundTrips int64) (result, error) {
	r := result{conns: conns, elapsed: end.Sub(w.start), roundTrips: roundTrips, serverCPU: -1, loadCPU: selfCPU() - w.self0}
	if t := cpuTicks(w.pid); t >= 0 && w.server0 >= 0 {
		r.serverCPU = t - w.server0
	}
	return r, w.perf.command("disable")
}

// perfControl drives perf stat through its control and ack fifos.
type perfControl struct {
	ctl, ack *os.File
}

func openPerfControl(ctl, ack string) (*perfControl, error) {
	if ctl == "" || ack == "" {
		return nil, fmt.Errorf("-perf-ctl and -perf-ack go together")
	}
	// perf holds both fifos open read-write, so neither open blocks.
	c, err := os.OpenFile(ctl, os.O_WRONLY, 0)
	if err != nil {
		return nil, err
	}
	a, err := os.Open(ack)
	if err != nil {
		c.Close()
		return nil, err
	}
	return &perfControl{ctl: c, ack: a}, nil
}

// command sends cmd ("enable" or "disable") and waits for perf's ack; on
// a nil perfControl it does nothing.
func (p *perfControl) command(cmd string) error {
	if p == nil {
		return nil
	}
	if _, err := p.ctl.WriteString(cmd + "\n"); err != nil {
		return fmt.Errorf("perf control: %w", err)
	}
	p.ack.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 16)
	n, err := p.ack.Read(buf)
	if err != nil {
		return fmt.Errorf("perf control: waiting for the ack of %s: %w", cmd, err)
	}
	// perf writes "ack\n" with its terminating NUL.
	if ack := strings.TrimRight(string(buf[:n]), "\x00"); ack != "ack\n" {
		return fmt.Errorf("perf control: %s answered %q", cmd, buf[:n])
	}
	return nil
}

// cpuTicks returns utime+stime of process pid in clock ticks, summed over
// its threads, or -1.
func cpuTicks(pid int) int64 {
	if pid <= 0 {
		return -1
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return -1
	}
	// The fields after the command, which may hold spaces, in parentheses.
	i := len(data) - 1
	for i >= 0 && data[i] != ')' {
		i--
	}
	var state string
	var ppid, pgrp, session, tty, tpgid, flags, minflt, cminflt, majflt, cmajflt, utime, stime int64
	if _, err := fmt.Sscan(string(data[i+1:]), &state, &ppid, &pgrp, &session, &tty, &tpgid, &flags,
		&minflt, &cminflt, &majflt, &cmajflt, &utime, &stime); err != nil {
		return -1
	}
	return utime + stime
}

func selfCPU() time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// mismatch describes how an echo differs from the message sent.
func mismatch(got, msg []byte) string {
	i := 0
	for i < len(got) && got[i] == msg[i] {
		i++
	}
	end := min(i+16, len(got))
	return fmt.Sprintf("first difference at byte %d of %d: got %x, want %x", i, len(got), got[i:end], msg[i:end])
}

// retry runs a syscall again while it is interrupted.
func retry(f func() error) error {
	for {
		if err := f(); err != syscall.EINTR {
			return err
		}
	}
}
