package netfd

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
)

// resolve maps b to the backend that will run and, for Auto, says why it is
// not Uring. Auto (and "") is io_uring when it works here, else epoll; the
// environment variable RINGNET_BACKEND (epoll or uring) overrides what Auto
// picks for the whole process.
func resolve(b Backend) (Backend, string, error) {
	if b == Auto || b == "" {
		a, err := autoBackend()
		return a.backend, a.reason, err
	}
	r, err := resolveExplicit(b)
	return r, "", err
}

// resolveExplicit checks that a named backend works here.
func resolveExplicit(b Backend) (Backend, error) {
	switch b {
	case Epoll:
		return Epoll, nil
	case Uring:
		if _, err := defaultUring(); err != nil {
			return "", err
		}
		return Uring, nil
	}
	return "", errBackend(b)
}

// An autoChoice is what Auto stands for in this process and, unless that is
// Uring, why.
type autoChoice struct {
	backend Backend
	reason  string
}

// autoBackend decides once per process and logs one line if io_uring is
// unusable and Auto falls back to epoll.
var autoBackend = sync.OnceValues(func() (autoChoice, error) {
	if env := Backend(os.Getenv("RINGNET_BACKEND")); env != "" && env != Auto {
		return autoFromEnv(env)
	}
	a, err := autoFromUring(func() error { _, err := defaultUring(); return err }())
	if a.reason != "" {
		slog.Warn("ringnet: io_uring unavailable, using epoll", "reason", a.reason)
	}
	return a, err
})

// autoFromEnv is Auto's choice when RINGNET_BACKEND names a backend.
func autoFromEnv(env Backend) (autoChoice, error) {
	b, err := resolveExplicit(env)
	if err != nil {
		return autoChoice{}, fmt.Errorf("RINGNET_BACKEND=%s: %w", env, err)
	}
	a := autoChoice{backend: b}
	if b != Uring {
		a.reason = "RINGNET_BACKEND=" + string(env)
	}
	return a, nil
}

// autoFromUring is Auto's choice given what setting up io_uring returned:
// Uring if it worked, Epoll if the error means this machine has no usable
// io_uring, else the error.
func autoFromUring(uringErr error) (autoChoice, error) {
	if uringErr == nil {
		return autoChoice{backend: Uring}, nil
	}
	var se *errUringSetup
	if errors.As(uringErr, &se) && se.fallback() {
		return autoChoice{backend: Epoll, reason: se.reason}, nil
	}
	return autoChoice{}, uringErr
}

// testDrivers holds extra backends that tests compare (export_test.go).
var testDrivers map[Backend]func() (driver, error)

func driverFor(b Backend) (driver, error) {
	if f, ok := testDrivers[b]; ok {
		return f()
	}
	rb, _, err := resolve(b)
	if err != nil {
		return nil, err
	}
	switch rb {
	case Epoll:
		return defaultEpoll()
	case Uring:
		return defaultUring()
	}
	return nil, errBackend(rb)
}
