package client

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"math/big"
	"testing"
	"time"

	"github.com/ringnet/ringnet/internal/backendtest"
)

// TestTLSIdleRead: what an idle TLS connection has waiting decides
// whether it lives: nothing (or records crypto/tls consumes itself, as
// session tickets) keeps it, application data or close_notify end it.
// (Go's and nginx's servers send their tickets with the handshake, so
// the Transport tests do not reach this path.)
func TestTLSIdleRead(t *testing.T) {
	backendtest.Run(t, func(t *testing.T, b backendtest.Backend) {
		for _, tc := range []struct {
			name  string
			serve func(c *tls.Conn)
			alive bool
		}{
			{"nothing", func(c *tls.Conn) {}, true},
			{"application data", func(c *tls.Conn) { c.Write([]byte("x")) }, false},
			{"close_notify", func(c *tls.Conn) { c.CloseWrite() }, false},
		} {
			ln := tls.NewListener(b.ListenTCP(t), serverConfig(t))
			served := make(chan *tls.Conn, 1)
			go func() {
				c, err := ln.Accept()
				if err != nil {
					served <- nil
					return
				}
				tc := c.(*tls.Conn)
				if err := tc.Handshake(); err != nil {
					t.Error(err)
				}
				served <- tc
			}()
			raw, err := b.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			c := tls.Client(raw, &tls.Config{InsecureSkipVerify: true})
			if err := c.Handshake(); err != nil {
				t.Fatal(err)
			}
			s := <-served
			if s == nil {
				t.Fatal("accept failed")
			}
			tc.serve(s)
			if got := tlsIdleRead(c); got != tc.alive {
				t.Errorf("%s: alive %v, want %v", tc.name, got, tc.alive)
			}
			c.Close()
			s.Close()
		}
	})
}

func serverConfig(t *testing.T) *tls.Config {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}
