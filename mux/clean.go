package mux

import (
	"net"
	"path"
	"strings"
)

// cleanPath returns the canonical form of p, as ServeMux computes it:
// path.Clean, keeping a trailing slash.
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		np += "/"
	}
	return np
}

// isClean reports whether cleanPath(p) == p, without allocating: p starts
// with '/' and has no empty, "." or ".." segment except an empty last one
// (a trailing slash).
func isClean(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] != '/' {
			continue
		}
		seg := p[i+1:] // what follows this '/'
		switch {
		case seg == "":
			return true
		case seg[0] == '/':
			return false
		case seg[0] == '.':
			if len(seg) == 1 || seg[1] == '/' ||
				seg[1] == '.' && (len(seg) == 2 || seg[2] == '/') {
				return false
			}
		}
	}
	return true
}

// stripHostPort returns h without a trailing ":port", as ServeMux does.
func stripHostPort(h string) string {
	if !strings.Contains(h, ":") {
		return h
	}
	host, _, err := net.SplitHostPort(h)
	if err != nil {
		return h
	}
	return host
}
