// Command fasthttp serves the TechEmpower plaintext response with
// github.com/valyala/fasthttp.
package main

import (
	"flag"
	"log"

	"github.com/ringnet/ringnet/bench/internal/plaintext"
	"github.com/valyala/fasthttp"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	flag.Parse()
	srv := &fasthttp.Server{
		Name: "bench",
		Handler: func(ctx *fasthttp.RequestCtx) {
			if string(ctx.Path()) != plaintext.Path {
				ctx.NotFound()
				return
			}
			ctx.SetContentType("text/plain")
			ctx.WriteString(plaintext.Body)
		},
	}
	log.Fatal(srv.ListenAndServe(*addr))
}
