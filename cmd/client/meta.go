package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/ringnet/ringnet/internal/buildinfo"
	"golang.org/x/sys/unix"
)

// A runMeta says when and on what a run was made, so that a report read
// months later can be compared with another: every report format carries
// it. The backend is each result's own.
type runMeta struct {
	Date    string `json:"date"` // RFC 3339, the start of the run
	Version string `json:"ringnet_version"`
	Go      string `json:"go_version"`
	Kernel  string `json:"kernel"`
	CPU     string `json:"cpu_model"`
	CPUs    int    `json:"cpus"`
}

// currentMeta describes this process and machine now. What cannot be
// found out reads "unknown".
func currentMeta() runMeta {
	return runMeta{
		Date:    time.Now().Format(time.RFC3339),
		Version: buildinfo.Version(),
		Go:      runtime.Version(),
		Kernel:  kernelRelease(),
		CPU:     cpuModel(),
		CPUs:    runtime.NumCPU(),
	}
}

// String is the metadata on one line, as the text report shows it.
func (m runMeta) String() string {
	return fmt.Sprintf("%s, ringnet %s, %s, Linux %s, %d × %s", m.Date, m.Version, m.Go, m.Kernel, m.CPUs, m.CPU)
}

func kernelRelease() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return "unknown"
	}
	return unix.ByteSliceToString(u.Release[:])
}

// cpuModel is the first "model name" of /proc/cpuinfo.
func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}
