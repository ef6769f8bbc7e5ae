package http_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	ringhttp "github.com/ringnet/ringnet/http"
)

func TestClientRoundTrip(t *testing.T) {
	run(t, func(t *testing.T, b backend) {
		addr := serve(t, b, &ringhttp.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			io.WriteString(w, r.Method+" "+r.URL.Path+" "+string(body))
		})})
		tr := &http.Transport{}
		defer tr.CloseIdleConnections()
		cl := &http.Client{Transport: tr}
		for i := 0; i < 3; i++ {
			resp, err := cl.Post("http://"+addr+"/x", "text/plain", strings.NewReader("hi"))
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(got) != "POST /x hi" {
				t.Fatalf("got %q", got)
			}
		}
	})
}
