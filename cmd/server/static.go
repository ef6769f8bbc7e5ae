package main

import (
	"errors"
	"io/fs"
	"net/http"
	"os"
	"path"
	"slices"
	"strings"

	ringhttp "github.com/ringnet/ringnet/http"
)

// newStatic serves the files under dir through an os.Root, so that
// neither a symlink nor ".." leads out of dir; directory listings leave
// out the symlinks that would (or lead nowhere). Unless dotfiles is set,
// a path with a segment starting with '.' (.git/, .env) is 404 and
// listings leave such names out. Files go out with sendfile:
// ringhttp.FS hands FileServer the root's *os.File (http.FileServerFS
// would hide it). The caller closes the root.
func newStatic(dir string, dotfiles bool) (http.Handler, *os.Root, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, nil, err
	}
	return http.FileServer(ringhttp.FS(staticFS{root.FS(), dotfiles})), root, nil
}

// staticFS is the file system /static/ serves.
type staticFS struct {
	root     fs.FS // an os.Root's: no name resolves outside it
	dotfiles bool
}

func (s staticFS) Open(name string) (fs.File, error) {
	if !s.dotfiles && isDotPath(name) {
		return nil, notExist(name)
	}
	f, err := s.root.Open(name)
	if err != nil {
		// A symlink out of the root fails with "path escapes from
		// parent", which FileServer would answer with a 500: answer it,
		// and any other failure but a permission one, as a missing file.
		if !errors.Is(err, fs.ErrPermission) {
			err = notExist(name)
		}
		return nil, err
	}
	if st, err := f.Stat(); err == nil && st.IsDir() {
		if d, ok := f.(fs.ReadDirFile); ok {
			return listing{d, s, name}, nil
		}
	}
	return f, nil
}

// isDotPath reports whether a segment of the fs.ValidPath name starts
// with '.' ("." alone is the root).
func isDotPath(name string) bool {
	return name != "." && (strings.HasPrefix(name, ".") || strings.Contains(name, "/."))
}

func notExist(name string) error {
	return &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

// listing is a directory whose listing leaves out what Open answers 404:
// dotfiles (unless s.dotfiles), and symlinks that lead out of the root
// or nowhere.
type listing struct {
	fs.ReadDirFile
	s    staticFS
	name string // the directory's
}

func (d listing) ReadDir(n int) ([]fs.DirEntry, error) {
	for {
		ents, err := d.ReadDirFile.ReadDir(n)
		ents = slices.DeleteFunc(ents, d.hidden)
		// With n > 0, an empty batch must come with an error: read on
		// past a batch that held only hidden names.
		if len(ents) > 0 || err != nil || n <= 0 {
			return ents, err
		}
	}
}

func (d listing) hidden(e fs.DirEntry) bool {
	if !d.s.dotfiles && strings.HasPrefix(e.Name(), ".") {
		return true
	}
	if e.Type()&fs.ModeSymlink == 0 {
		return false
	}
	// The root follows the link, and refuses one that leaves it.
	_, err := fs.Stat(d.s.root, path.Join(d.name, e.Name()))
	return err != nil && !errors.Is(err, fs.ErrPermission)
}
