package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
)

// tlsConfig returns the TLS configuration -k and -cacert ask for, or nil
// for crypto/tls's defaults (the system's roots). An unreadable -cacert
// file, or one without a certificate, is a usage error.
func tlsConfig(insecure bool, caFile string) (*tls.Config, error) {
	if !insecure && caFile == "" {
		return nil, nil
	}
	cfg := &tls.Config{InsecureSkipVerify: insecure}
	if caFile == "" {
		return cfg, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("-cacert: %v", err)
	}
	cfg.RootCAs = x509.NewCertPool()
	if !cfg.RootCAs.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("-cacert %s: %w", caFile, errNoCerts)
	}
	return cfg, nil
}

var errNoCerts = errors.New("no PEM certificate in the file")

// clientTLS is base (which may be nil) for a connection to serverName,
// offering HTTP/1.1 only.
func clientTLS(base *tls.Config, serverName string) *tls.Config {
	c := &tls.Config{}
	if base != nil {
		c = base.Clone()
	}
	c.ServerName = serverName
	c.NextProtos = []string{"http/1.1"}
	return c
}
