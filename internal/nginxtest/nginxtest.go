// Package nginxtest runs a real nginx for a test, the peer that tests of
// the client, the load generator and the server (behind nginx as a proxy)
// hold ringnet to.
package nginxtest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ringnet/ringnet/internal/testtool"
)

// Binary finds nginx (testtool.Path: on PATH, or where distributions put
// it, /usr/local/nginx/sbin included). It skips t if there is none, or
// fails it when RINGNET_REQUIRE_TOOLS is set, as CI sets it.
func Binary(t testing.TB) string {
	t.Helper()
	return testtool.Path(t, "nginx", "nginx", "/usr/local/nginx/sbin")
}

// Conf returns a configuration for Start: one worker process, its pid,
// error log (ErrorLog) and temporary files under {{dir}}, {{user}}, and
// http, the directives of the http block.
func Conf(http string) string {
	return `worker_processes 1;
pid {{dir}}/nginx.pid;
error_log {{dir}}/error.log warn;
{{user}}
events { worker_connections 1024; }
http {
	client_body_temp_path {{dir}}/body;
	proxy_temp_path {{dir}}/proxy;
	fastcgi_temp_path {{dir}}/fastcgi;
	uwsgi_temp_path {{dir}}/uwsgi;
	scgi_temp_path {{dir}}/scgi;
` + http + "}\n"
}

// An Nginx is an nginx running for a test.
type Nginx struct {
	Dir      string // its prefix: the configuration, the logs, the files written for it
	Addr     string // 127.0.0.1:{{port}}
	TLSAddr  string // 127.0.0.1:{{tlsport}}
	ErrorLog string // the path of {{dir}}/error.log, where a configuration should log
}

// Start writes files (paths relative to the prefix directory, a
// temporary one) and the configuration conf, and runs nginx on it until
// t ends. In conf, {{dir}} is the prefix directory, {{user}} what makes
// nginx's workers able to read it, {{port}} and {{tlsport}} two free
// loopback ports, and vars' keys are replaced by their values.
//
// Ports are picked by listening on :0 and closing; another process may
// take one meanwhile, so a start that fails is retried on other ports.
func Start(t testing.TB, conf string, files, vars map[string]string) *Nginx {
	t.Helper()
	bin := Binary(t)
	dir := t.TempDir()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;" // workers would otherwise be nobody, who cannot read t.TempDir()
	}
	var lastErr error
	for range 5 {
		n := &Nginx{Dir: dir, Addr: "127.0.0.1:" + freePort(t), TLSAddr: "127.0.0.1:" + freePort(t),
			ErrorLog: filepath.Join(dir, "error.log")}
		pairs := []string{"{{dir}}", dir, "{{user}}", user, "{{port}}", port(n.Addr), "{{tlsport}}", port(n.TLSAddr)}
		for k, v := range vars {
			pairs = append(pairs, k, v)
		}
		confPath := filepath.Join(dir, "nginx.conf")
		if err := os.WriteFile(confPath, []byte(strings.NewReplacer(pairs...).Replace(conf)), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "-p", dir, "-c", confPath, "-g", "daemon off;")
		var out output
		cmd.Stderr = &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		if lastErr = waitAccepting(n.Addr, exited); lastErr != nil {
			log, _ := os.ReadFile(n.ErrorLog)
			lastErr = fmt.Errorf("%v\n%s%s", lastErr, out.String(), log)
			continue
		}
		t.Cleanup(func() {
			cmd.Process.Signal(syscall.SIGTERM)
			<-exited
		})
		return n
	}
	t.Fatalf("nginx did not start: %v", lastErr)
	return nil
}

func freePort(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return port(ln.Addr().String())
}

func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

// waitAccepting waits until addr accepts connections, or nginx exits.
func waitAccepting(addr string, exited <-chan error) error {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return nil
		}
		select {
		case err := <-exited:
			return fmt.Errorf("nginx exited: %v", err)
		case <-time.After(10 * time.Millisecond): // polling another process
		}
	}
	return errors.New("nginx does not accept connections after 10 s")
}

// output collects what nginx writes on stderr (before its error log is
// open), for the message of a failed start.
type output struct {
	mu sync.Mutex
	b  strings.Builder
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.Write(p)
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.b.String()
}
