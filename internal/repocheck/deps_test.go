// Package repocheck holds tests of the repository as a whole: what the
// library depends on, and docs that stand alone.
package repocheck

import (
	"io/fs"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// library is every package of the module a program may import, the
// trees under these directories, and cmd/client, which needs no more.
var library = []string{"ring", "epoll", "netfd", "http", "mux", "client", "internal", "cmd/client"}

// allowed are the import path prefixes outside the standard library the
// library may depend on.
var allowed = []string{"github.com/ringnet/ringnet/", "golang.org/x/sys/", "golang.org/x/net/"}

// TestLibraryDependencies: the library packages depend on the standard
// library, golang.org/x/sys and golang.org/x/net, and nothing else. A
// program that imports ringnet's library gets no other module; cmd/server
// alone may use more (prometheus/client_golang).
func TestLibraryDependencies(t *testing.T) {
	goTool, err := exec.LookPath("go") // go test puts GOROOT/bin on PATH
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}"}
	for _, dir := range library {
		args = append(args, "github.com/ringnet/ringnet/"+dir+"/...")
		// go test caches a passing result until a file this test opens
		// changes, and go list's reads are not this test's: walking the
		// trees makes every file in them an input.
		if err := filepath.WalkDir(filepath.Join("..", "..", dir), func(string, fs.DirEntry, error) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command(goTool, args...).Output()
	if ee, ok := err.(*exec.ExitError); ok {
		t.Fatalf("go list: %v\n%s", err, ee.Stderr)
	} else if err != nil {
		t.Fatal(err)
	}
	deps := strings.Fields(string(out))
	if len(deps) == 0 {
		t.Fatal("go list listed nothing")
	}
	for _, dep := range deps {
		ok := false
		for _, prefix := range allowed {
			ok = ok || strings.HasPrefix(dep, prefix)
		}
		if !ok || strings.HasPrefix(dep, "github.com/ringnet/ringnet/cmd/server") {
			t.Errorf("the library depends on %s", dep)
		}
	}
}
