package buildinfo

import (
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

// A test binary has build information: its path and Go's version, and a
// version that is the module's (or "(devel)").
func TestLine(t *testing.T) {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		t.Fatal("no build information in a test binary")
	}
	line := Line()
	if !strings.HasPrefix(line, bi.Path+" ") || !strings.Contains(line, " "+runtime.Version()) {
		t.Errorf("Line() = %q; want the path %q and %s", line, bi.Path, runtime.Version())
	}
	if v := Version(); v == "" || v == "unknown" {
		t.Errorf("Version() = %q", v)
	}
}

// The revision and the modified mark come from the build settings.
func TestVCS(t *testing.T) {
	bi := &debug.BuildInfo{Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "true"}}}
	if rev, mod := vcs(bi); rev != "abc" || !mod {
		t.Errorf("vcs = %q, %v", rev, mod)
	}
	if rev, mod := vcs(&debug.BuildInfo{}); rev != "" || mod {
		t.Errorf("vcs of nothing = %q, %v", rev, mod)
	}
}
