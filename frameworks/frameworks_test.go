package frameworks_test

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/go-chi/chi/v5"
	"github.com/gorilla/websocket"
	"github.com/labstack/echo/v4"

	ringhttp "github.com/ringnet/ringnet/http"
	"github.com/ringnet/ringnet/internal/backendtest"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode)
	backendtest.Main(m)
}

// serveRing serves h with ringnet's server on b, in b's mode, until the
// test ends.
func serveRing(t *testing.T, b backendtest.Backend, h http.Handler) string {
	t.Helper()
	s := &ringhttp.Server{Handler: h, ErrorLog: slog.New(slog.NewTextHandler(io.Discard, nil))}
	b.SetMode(s)
	ln := b.ListenTCP(t)
	backendtest.Serve(t, ln, s, ringhttp.ErrServerClosed)
	return ln.Addr().String()
}

var dateLine = regexp.MustCompile(`(?m)^Date: [^\r]*\r\n`)

// exchange sends raw on a new connection and returns what comes back
// until the server closes (the requests end with Connection: close),
// without the Date line.
func exchange(t *testing.T, addr, raw string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(c)
	if err != nil {
		t.Fatalf("reading: %v (got %q)", err, got)
	}
	return dateLine.ReplaceAllString(string(got), "")
}

// apps are the same small API written with each framework.
func apps() map[string]http.Handler {
	g := gin.New()
	g.Use(gin.RecoveryWithWriter(io.Discard))
	g.GET("/users/:id", func(c *gin.Context) { c.JSON(200, gin.H{"id": c.Param("id"), "q": c.Query("q")}) })
	g.POST("/items", func(c *gin.Context) {
		var v struct{ Name string }
		if err := c.BindJSON(&v); err != nil {
			return
		}
		c.JSON(201, gin.H{"created": v.Name})
	})
	g.GET("/panic", func(c *gin.Context) { panic("boom") })

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.GET("/users/:id", func(c echo.Context) error {
		return c.JSON(200, map[string]string{"id": c.Param("id"), "q": c.QueryParam("q")})
	})
	e.POST("/items", func(c echo.Context) error {
		var v struct{ Name string }
		if err := c.Bind(&v); err != nil {
			return err
		}
		return c.JSON(201, map[string]string{"created": v.Name})
	})

	r := chi.NewRouter()
	r.Get("/users/{id}", func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":%q,"q":%q}`, chi.URLParam(req, "id"), req.URL.Query().Get("q"))
	})
	r.Post("/items", func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		w.WriteHeader(201)
		w.Write(b)
	})
	return map[string]http.Handler{"gin": g, "echo": e, "chi": r}
}

// TestFrameworks: gin, echo and chi answer the same requests byte for byte
// (but the Date) on ringnet, in every backend and mode, as on net/http.
func TestFrameworks(t *testing.T) {
	requests := []string{
		"GET /users/42?q=x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
		"POST /items HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nContent-Length: 15\r\nConnection: close\r\n\r\n{\"Name\":\"pen\"}\n",
		"POST /items HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: 15\r\nConnection: close\r\n\r\n{\"Name\":\"ink\"}\n",
		"POST /items HTTP/1.1\r\nHost: h\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\n{\"Nam\r\na\r\ne\":\"cap\"}\n\r\n0\r\n\r\n",
		"GET /panic HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
		"GET /missing HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n",
	}
	want := map[string][]string{}
	for name, h := range apps() {
		addr := backendtest.ServeNetHTTP(t, h)
		for _, req := range requests {
			want[name] = append(want[name], exchange(t, addr, req))
		}
	}
	backendtest.RunServers(t, func(t *testing.T, b backendtest.Backend) {
		for name, h := range apps() {
			addr := serveRing(t, b, h)
			for i, req := range requests {
				if got := exchange(t, addr, req); got != want[name][i] {
					t.Errorf("%s, %.40q:\nringnet  %q\nnet/http %q", name, req, got, want[name][i])
				}
			}
		}
	})
}

// TestGinStream: gin's Stream (which asserts http.CloseNotifier) and
// SSEvent send each event as it is made, in every mode: the handler makes
// the next one only once the client has read this one.
func TestGinStream(t *testing.T) {
	const events = 4
	backendtest.RunServers(t, func(t *testing.T, b backendtest.Backend) {
		ack := make(chan struct{})
		g := gin.New()
		g.Use(gin.RecoveryWithWriter(io.Discard))
		g.GET("/sse", func(c *gin.Context) {
			i := 0
			c.Stream(func(w io.Writer) bool { // Stream flushes after each step
				if i > 0 {
					select {
					case <-ack:
					case <-c.Request.Context().Done():
						return false
					}
				}
				c.SSEvent("tick", i)
				i++
				return i < events
			})
		})
		addr := serveRing(t, b, g)
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(20 * time.Second))
		io.WriteString(c, "GET /sse HTTP/1.1\r\nHost: h\r\n\r\n")
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream;charset=utf-8" {
			t.Fatalf("%d %q (gin's recovery answers 500 when Stream panics)", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		body := bufio.NewReader(resp.Body)
		for i := range events {
			var got strings.Builder
			for {
				line, err := body.ReadString('\n')
				if err != nil {
					t.Fatalf("event %d: %q, %v", i, got.String(), err)
				}
				got.WriteString(line)
				if line == "\n" {
					break
				}
			}
			if want := fmt.Sprintf("event:tick\ndata:%d\n\n", i); got.String() != want {
				t.Fatalf("event %d: %q, want %q", i, got.String(), want)
			}
			if i < events-1 {
				ack <- struct{}{}
			}
		}
	})
}

// TestGorillaWebsocket: a gorilla/websocket echo server (Upgrade hijacks
// the connection) in every mode.
func TestGorillaWebsocket(t *testing.T) {
	backendtest.RunServers(t, func(t *testing.T, b backendtest.Backend) {
		up := websocket.Upgrader{}
		addr := serveRing(t, b, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ws, err := up.Upgrade(w, r, nil)
			if err != nil {
				return
			}
			defer ws.Close()
			for {
				mt, msg, err := ws.ReadMessage()
				if err != nil {
					return
				}
				if err := ws.WriteMessage(mt, msg); err != nil {
					return
				}
			}
		}))
		ws, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ws.Close()
		ws.SetReadDeadline(time.Now().Add(20 * time.Second))
		for i := range 20 {
			msg := strings.Repeat(fmt.Sprint(i), 1+i*500)
			if err := ws.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
				t.Fatal(err)
			}
			if _, got, err := ws.ReadMessage(); err != nil || string(got) != msg {
				t.Fatalf("message %d: %d bytes, %v", i, len(got), err)
			}
		}
		ws.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
	})
}
