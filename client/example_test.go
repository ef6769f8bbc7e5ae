package client_test

import (
	"log"
	"net/http"

	"github.com/ringnet/ringnet/client"
	"github.com/ringnet/ringnet/netfd"
)

// The README's client snippet.
func ExampleNewTransport() {
	c := &http.Client{Transport: client.NewTransport(client.Options{Backend: netfd.Uring})}
	resp, err := c.Get("http://127.0.0.1:8080/plaintext")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()

	c = client.New(client.Options{}) // the same with every default: Auto backend
	_ = c
}

// The README's snippet on seeing the backend a Transport dials with.
func ExampleTransport_Backend() {
	tr := client.NewTransport(client.Options{}) // Auto backend
	log.Printf("dialing with %s", tr.Backend()) // "uring", or "epoll" where io_uring is unavailable
}
