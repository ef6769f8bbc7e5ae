package client_test

import (
	"net/http"
	"testing"

	"github.com/ringnet/ringnet/client"
	"github.com/ringnet/ringnet/internal/backendtest"
	"github.com/ringnet/ringnet/netfd"
)

// TestTransportBackend checks that a Transport reports the backend it
// dials with, and "" when its own DialContext decides.
func TestTransportBackend(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		tr := newTransport(t, b, client.Options{})
		if got := tr.Backend(); got != b.NB {
			t.Errorf("Backend() = %q, want %q", got, b.NB)
		}
		url := start(t, b, servers[0], http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		mustGet(t, &http.Client{Transport: tr}, url)
	})
	auto, err := netfd.Resolve(netfd.Auto)
	if err != nil {
		t.Fatal(err)
	}
	if got := (&client.Transport{}).Backend(); got != auto {
		t.Errorf("zero Transport: Backend() = %q, want %q", got, auto)
	}
	if got := client.NewTransport(client.Options{Backend: "kqueue"}).Backend(); got != "" {
		t.Errorf("unknown backend: Backend() = %q, want \"\"", got)
	}
}
