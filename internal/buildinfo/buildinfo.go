// Package buildinfo describes the running binary from what go build
// recorded in it: the main package, the module version, the Go version
// and the VCS revision. The commands print it for -version, and reports
// carry it, so that a result read later names the code that made it.
package buildinfo

import (
	"runtime/debug"
	"strings"
)

// Line is what -version prints: the main package's path, the module
// version, the Go version, and the VCS revision with "(modified)" when
// the tree had uncommitted changes, as in
// "github.com/ringnet/ringnet/cmd/server (devel) go1.26.0
// vcs.revision=8e0c618… (modified)".
func Line() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown: no build information in the binary"
	}
	line := bi.Path + " " + mainVersion(bi) + " " + bi.GoVersion
	if rev, modified := vcs(bi); rev != "" {
		line += " vcs.revision=" + rev
		if modified {
			line += " (modified)"
		}
	}
	return line
}

// Version is the module version with the first 12 digits of the VCS
// revision, as reports show it: "(devel) 8e0c618a1b2c+dirty".
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := mainVersion(bi)
	if rev, modified := vcs(bi); rev != "" {
		v += " " + rev[:min(len(rev), 12)]
		if modified {
			v += "+dirty"
		}
	}
	return v
}

// mainVersion is the module's version, "(devel)" when it has none.
func mainVersion(bi *debug.BuildInfo) string {
	if bi.Main.Version == "" {
		return "(devel)"
	}
	return bi.Main.Version
}

// vcs returns the revision the binary was built from, if recorded, and
// whether the tree had changes.
func vcs(bi *debug.BuildInfo) (rev string, modified bool) {
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = strings.EqualFold(s.Value, "true")
		}
	}
	return rev, modified
}
