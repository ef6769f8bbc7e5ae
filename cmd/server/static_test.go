package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	ringhttp "github.com/ringnet/ringnet/http"
	"github.com/ringnet/ringnet/internal/backendtest"
)

// staticTree makes a directory to serve, in a parent holding a secret:
//
//	parent/secret.txt        SECRET, outside the served directory
//	parent/www/a.txt         a file
//	parent/www/inner -> a.txt               symlinks that stay inside,
//	parent/www/insub -> sub                 to a file and to a directory
//	parent/www/out -> ../secret.txt         symlinks out, relative,
//	parent/www/abs -> parent/secret.txt     absolute,
//	parent/www/up -> ..                     and to the parent directory
//	parent/www/sub/back -> ../../secret.txt and out from a subdirectory
//	parent/www/gone -> missing.txt          a symlink to nothing
//	parent/www/.env, .git/config, sub/.hidden   dotfiles (DOT)
//	parent/www/sub/b.txt
//
// Without links, the symlinks are left out.
func staticTree(t *testing.T, links bool) (dir string) {
	t.Helper()
	parent := t.TempDir()
	dir = filepath.Join(parent, "www")
	files := map[string]string{
		"secret.txt":           "SECRET\n",
		"www/a.txt":            "static file\n",
		"www/.env":             "DOT env\n",
		"www/.git/config":      "DOT git\n",
		"www/sub/.hidden":      "DOT hidden\n",
		"www/sub/b.txt":        "b\n",
		"www/sub/.dir/c.txt":   "DOT c\n",
		"www/.dotdir/seen.txt": "DOT seen\n",
	}
	for name, content := range files {
		p := filepath.Join(parent, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if !links {
		return dir
	}
	for link, target := range map[string]string{
		"inner":    "a.txt",
		"insub":    "sub",
		"out":      "../secret.txt",
		"abs":      filepath.Join(parent, "secret.txt"),
		"up":       "..",
		"sub/back": "../../secret.txt",
		"gone":     "missing.txt",
	} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// /static/ serves -dir and nothing beyond it: no files without -dir, no
// dotfiles without -dotfiles, no way out by symlink or "..".
func TestStatic(t *testing.T) {
	dir := staticTree(t, true)
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		type want struct {
			status int    // 0: anything but 200
			body   string // must be contained
		}
		check := func(t *testing.T, cfg config, cases map[string]want) {
			t.Helper()
			addr := startServer(t, cfg).ln.Addr().String()
			for target, w := range cases {
				status, body := rawGet(t, addr, target)
				switch {
				case strings.Contains(body, "SECRET"):
					t.Errorf("GET %s: %d, the secret outside -dir:\n%s", target, status, body)
				case w.status == 0 && status == 200, w.status != 0 && status != w.status:
					t.Errorf("GET %s: %d, want %d:\n%s", target, status, w.status, body)
				case !strings.Contains(body, w.body):
					t.Errorf("GET %s: body %q lacks %q", target, body, w.body)
				}
			}
		}

		t.Run("no dir", func(t *testing.T) {
			check(t, testConfig(b), map[string]want{
				"/static/":      {404, ""},
				"/static/a.txt": {404, ""},
			})
		})

		cfg := testConfig(b)
		cfg.dir = dir
		escapes := map[string]want{
			"/static/out":                  {404, ""},
			"/static/abs":                  {404, ""},
			"/static/up/secret.txt":        {404, ""},
			"/static/sub/back":             {404, ""},
			"/static/gone":                 {404, ""},
			"/static/../secret.txt":        {}, // cleaned and redirected out of /static/
			"/static/..%2fsecret.txt":      {404, ""},
			"/static/%2e%2e/secret.txt":    {},
			"/static/sub/../../secret.txt": {},
		}
		t.Run("files", func(t *testing.T) {
			cases := map[string]want{
				"/static/a.txt":          {200, "static file"},
				"/static/inner":          {200, "static file"},
				"/static/insub/b.txt":    {200, "b"},
				"/static/sub/b.txt":      {200, "b"},
				"/static/.env":           {404, ""},
				"/static/.git/config":    {404, ""},
				"/static/.git/":          {404, ""},
				"/static/sub/.hidden":    {404, ""},
				"/static/sub/.dir/c.txt": {404, ""},
				"/static/%2eenv":         {404, ""},
			}
			for target, w := range escapes {
				cases[target] = w
			}
			check(t, cfg, cases)
		})
		// A listing names what /static/ serves: no dotfiles (unless
		// -dotfiles), no symlink out of -dir or to nothing; symlinks that
		// stay inside are listed.
		for _, dotfiles := range []bool{false, true} {
			want := map[string]string{
				"/static/":     "a.txt inner insub sub/",
				"/static/sub/": "b.txt",
			}
			if dotfiles {
				want = map[string]string{
					"/static/":     ".dotdir/ .env .git/ a.txt inner insub sub/",
					"/static/sub/": ".dir/ .hidden b.txt",
				}
			}
			t.Run(fmt.Sprintf("listings dotfiles=%v", dotfiles), func(t *testing.T) {
				cfg := cfg
				cfg.dotfiles = dotfiles
				addr := startServer(t, cfg).ln.Addr().String()
				for target, want := range want {
					status, body := rawGet(t, addr, target)
					var hrefs []string
					for _, m := range regexp.MustCompile(`href="([^"]+)"`).FindAllStringSubmatch(body, -1) {
						hrefs = append(hrefs, m[1])
					}
					if status != 200 || strings.Join(hrefs, " ") != want {
						t.Errorf("GET %s: %d, lists %q, want %q\n%s", target, status, hrefs, want, body)
					}
				}
			})
		}
		t.Run("dotfiles", func(t *testing.T) {
			cfg := cfg
			cfg.dotfiles = true
			cases := map[string]want{
				"/static/.env":           {200, "DOT env"},
				"/static/.git/config":    {200, "DOT git"},
				"/static/sub/.dir/c.txt": {200, "DOT c"},
			}
			for target, w := range escapes {
				cases[target] = w
			}
			check(t, cfg, cases)
		})
	})
}

// staticFS is a file system by fs.FS's rules, dotfiles hidden or not.
func TestStaticFS(t *testing.T) {
	dir := staticTree(t, false)
	for _, dotfiles := range []bool{false, true} {
		root, err := os.OpenRoot(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer root.Close()
		expected := []string{"a.txt", "sub/b.txt"}
		if dotfiles {
			expected = append(expected, ".env", ".git/config", "sub/.hidden", "sub/.dir/c.txt", ".dotdir/seen.txt")
		}
		if err := fstest.TestFS(staticFS{root.FS(), dotfiles}, expected...); err != nil {
			t.Errorf("dotfiles=%v: %v", dotfiles, err)
		}
	}
}

// readFromRecorder records the reader each io.Copy into the
// ResponseWriter hands its ReadFrom, then passes the copy on.
type readFromRecorder struct {
	http.ResponseWriter
	got chan<- string
}

func (r readFromRecorder) ReadFrom(src io.Reader) (int64, error) {
	if l, ok := src.(*io.LimitedReader); ok {
		src = l.R
	}
	r.got <- fmt.Sprintf("%T", src)
	return r.ResponseWriter.(io.ReaderFrom).ReadFrom(src)
}

// TestStaticSendfile: /static/ hands FileServer the os.Root's *os.File,
// so that io.Copy gives the ResponseWriter's ReadFrom the file itself,
// which a netfd connection (and Go's) sends with sendfile(2); through
// http.FileServerFS it would get net/http's wrapper and copy through a
// buffer. The 3 MB file arrives whole, in every mode.
func TestStaticSendfile(t *testing.T) {
	dir := t.TempDir()
	content := bytes.Repeat([]byte("0123456789abcdef"), 3<<20/16)
	if err := os.WriteFile(filepath.Join(dir, "big.bin"), content, 0o644); err != nil {
		t.Fatal(err)
	}
	backendtest.RunServers(t, func(t *testing.T, b backendtest.Backend) {
		static, root, err := newStatic(dir, false)
		if err != nil {
			t.Fatal(err)
		}
		defer root.Close()
		got := make(chan string, 1)
		s := &ringhttp.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			static.ServeHTTP(readFromRecorder{w, got}, r)
		})}
		b.SetMode(s)
		ln := b.ListenTCP(t)
		backendtest.Serve(t, ln, s, ringhttp.ErrServerClosed)
		resp, err := http.Get("http://" + ln.Addr().String() + "/big.bin")
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		http.DefaultTransport.(*http.Transport).CloseIdleConnections()
		if err != nil || !bytes.Equal(body, content) {
			t.Fatalf("GET /big.bin: %d bytes, %v; want the file's %d", len(body), err, len(content))
		}
		if src := <-got; src != "*os.File" {
			t.Fatalf("ReadFrom got a %s, want the *os.File (sendfile)", src)
		}
	})
}
