package http

import (
	"io/fs"
	"net/http"
	"os"
	"strings"
)

// FS is http.FS, but a file fsys opens as an *os.File (os.DirFS,
// os.Root's FS) is handed to http.FileServer as it is: io.Copy then gives
// the ResponseWriter's ReadFrom the *os.File itself, which a netfd
// connection sends with sendfile(2). net/http's http.FS wraps every file
// in a type of its own that hides it, so http.FileServerFS copies each
// file through a buffer. Other files are served as http.FS serves them.
//
//	root, _ := os.OpenRoot("public")
//	h := http.FileServer(ringhttp.FS(root.FS()))
func FS(fsys fs.FS) http.FileSystem {
	return fileSystem{fsys, http.FS(fsys)}
}

type fileSystem struct {
	fsys fs.FS
	std  http.FileSystem // http.FS(fsys): for everything but an *os.File
}

func (f fileSystem) Open(name string) (http.File, error) {
	n := strings.TrimPrefix(name, "/")
	if n == "" {
		n = "."
	}
	file, err := f.fsys.Open(n)
	if err != nil {
		return f.std.Open(name) // net/http's error, mapped as FileServer expects
	}
	if of, ok := file.(*os.File); ok {
		return of, nil
	}
	file.Close()
	return f.std.Open(name)
}
