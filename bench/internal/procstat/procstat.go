// Package procstat reads the numeric fields of /proc/PID/status that the
// bench commands measure a server process by (VmRSS, VmHWM, Threads).
package procstat

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Fields returns the value of each named field of /proc/pid/status (its
// first word: KiB for the Vm fields), in the order named; pid 0 means this
// process. A field that is missing is an error.
func Fields(pid int, names ...string) ([]int, error) {
	path := "/proc/self/status"
	if pid != 0 {
		path = fmt.Sprintf("/proc/%d/status", pid)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	vals := make([]int, len(names))
	found := 0
	for line := range strings.Lines(string(data)) {
		key, val, ok := strings.Cut(line, ":")
		i := indexOf(names, key)
		fields := strings.Fields(val)
		if !ok || i < 0 || len(fields) == 0 {
			continue
		}
		if vals[i], err = strconv.Atoi(fields[0]); err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, key, err)
		}
		found++
	}
	if found != len(names) {
		return nil, fmt.Errorf("%s: not all of %v", path, names)
	}
	return vals, nil
}

func indexOf(names []string, key string) int {
	for i, n := range names {
		if n == key {
			return i
		}
	}
	return -1
}
