package http_test

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	ringhttp "github.com/ringnet/ringnet/http"
)

// TestFS: ringhttp.FS opens an os-backed file system's files as the
// *os.File itself (what sendfile takes), and anything else as http.FS
// does, missing names included.
func TestFS(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("A"), 0o644); err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	for name, fsys := range map[string]fs.FS{"DirFS": os.DirFS(dir), "Root": root.FS()} {
		f, err := ringhttp.FS(fsys).Open("/a.txt")
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, ok := f.(*os.File); !ok {
			t.Errorf("%s: opened a %T, want *os.File", name, f)
		}
		f.Close()
		if d, err := ringhttp.FS(fsys).Open("/"); err != nil {
			t.Errorf("%s: the root: %v", name, err)
		} else {
			d.Close()
		}
		if _, err := ringhttp.FS(fsys).Open("/missing"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: a missing file: %v, want fs.ErrNotExist", name, err)
		}
	}
	f, err := ringhttp.FS(fstest.MapFS{"m.txt": {Data: []byte("M")}}).Open("/m.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if b, err := io.ReadAll(f); err != nil || string(b) != "M" {
		t.Fatalf("MapFS file: %q, %v", b, err)
	}
	if _, ok := f.(*os.File); ok {
		t.Fatal("MapFS file is an *os.File")
	}
}
