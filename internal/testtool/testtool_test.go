package testtool

import (
	"os"
	"testing"
)

// A missing tool skips the test, once per test in the report however
// many of its subtests skip; a present one is found with its path.
func TestPath(t *testing.T) {
	t.Setenv("RINGNET_REQUIRE_TOOLS", "") // CI sets it: here the skip is the point
	var subs []*testing.T
	for _, name := range []string{"a", "b"} {
		t.Run(name, func(t *testing.T) {
			subs = append(subs, t)
			Path(t, "ringnet-no-such-tool", "ringnet-no-such-package")
			t.Error("Path returned for a tool that is not installed")
		})
	}
	for _, sub := range subs {
		if !sub.Skipped() {
			t.Errorf("%s did not skip", sub.Name())
		}
	}
	want := "github.com/ringnet/ringnet/internal/testtool: SKIP TestPath: ringnet-no-such-tool is not installed: apt-get install -y ringnet-no-such-package\n"
	if got := report(); got != want {
		t.Errorf("report:\n%s\nwant\n%s", got, want)
	}
	skips.lines = nil // nothing for the package's own report

	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", "/nonexistent")
	if p := Path(t, exe, "none"); p != exe { // a path with a slash is looked up as is
		t.Errorf("Path(%s) = %q", exe, p)
	}
}
