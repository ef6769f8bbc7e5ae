// Package testtool finds the programs some tests drive (curl, ab, h2load,
// wrk, nginx, promtool). A test whose tool is missing skips, or fails
// when RINGNET_REQUIRE_TOOLS is set (CI installs every tool), and Report
// lists the skips after the package's tests: go test prints nothing of a
// package that passes, so a skip would go unseen.
package testtool

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// sbin are where distributions put daemons such as nginx: not on every
// user's PATH.
var sbin = []string{"/usr/local/sbin", "/usr/sbin"}

// skips are the tests that skipped for a missing tool, one line each,
// for Report. (Global: the tests that skip know nothing of TestMain.)
var skips struct {
	sync.Mutex
	lines []string
}

// Path returns the path of the program name: on PATH, else in
// /usr/local/sbin, /usr/sbin or one of dirs. Without it, it skips t with
// the package that installs it, and records the skip for Report, or
// fails t when RINGNET_REQUIRE_TOOLS is set.
func Path(t testing.TB, name, pkg string, dirs ...string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range append(sbin, dirs...) {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return p
		}
	}
	msg := fmt.Sprintf("%s is not installed: apt-get install -y %s", name, pkg)
	if os.Getenv("RINGNET_REQUIRE_TOOLS") != "" {
		t.Fatal(msg + " (RINGNET_REQUIRE_TOOLS is set)")
	}
	test, _, _ := strings.Cut(t.Name(), "/") // subtests skip together
	line := "SKIP " + test + ": " + msg
	skips.Lock()
	if !slices.Contains(skips.lines, line) {
		skips.lines = append(skips.lines, line)
	}
	skips.Unlock()
	t.Skip(msg)
	return ""
}

// Report writes one line per test that skipped for a missing tool, after
// the package's tests ran (TestMain). The lines go to stderr, which go
// test shows with -v, for a failing package, or when it tests the
// current directory; and, since for a package that passes among several
// it shows only the "ok" line, also to the terminal (/dev/tty) if there
// is one and stderr is not it. go test caches a passing package: a run
// from the cache lists nothing (go test -count=1 runs it again).
func Report() {
	out := report()
	if out == "" {
		return
	}
	io.WriteString(os.Stderr, out)
	if testing.Verbose() || isTerminal(os.Stderr) {
		return // the lines were seen there
	}
	if tty, err := os.OpenFile("/dev/tty", os.O_WRONLY, 0); err == nil {
		io.WriteString(tty, out)
		tty.Close()
	}
}

// report is Report's lines, each naming the package under test.
func report() string {
	skips.Lock()
	defer skips.Unlock()
	pkg := "?"
	if bi, ok := debug.ReadBuildInfo(); ok {
		pkg = strings.TrimSuffix(bi.Path, ".test")
	}
	var out strings.Builder
	for _, l := range skips.lines {
		fmt.Fprintf(&out, "%s: %s\n", pkg, l)
	}
	return out.String()
}

func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
