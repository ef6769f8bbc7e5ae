package netfd

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
)

// resolve maps b to the backend that will run. Auto (and "") is io_uring
// when it works here, else epoll; the environment variable RINGNET_BACKEND
// (epoll or uring) overrides what Auto picks for the whole process.
func resolve(b Backend) (Backend, error) {
	if b == Auto || b == "" {
		return autoBackend()
	}
	return resolveExplicit(b)
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

// autoBackend decides once per process and logs one line if io_uring is
// unusable and Auto falls back to epoll.
var autoBackend = sync.OnceValues(func() (Backend, error) {
	if env := Backend(os.Getenv("RINGNET_BACKEND")); env != "" && env != Auto {
		b, err := resolveExplicit(env)
		if err != nil {
			return "", fmt.Errorf("RINGNET_BACKEND=%s: %w", env, err)
		}
		return b, nil
	}
	_, err := defaultUring()
	if err == nil {
		return Uring, nil
	}
	var se *errUringSetup
	if errors.As(err, &se) && se.fallback() {
		slog.Warn("ringnet: io_uring unavailable, using epoll", "reason", se.reason)
		return Epoll, nil
	}
	return "", err
})

// testDrivers holds extra backends that tests compare (export_test.go).
var testDrivers map[Backend]func() (driver, error)

func driverFor(b Backend) (driver, error) {
	if f, ok := testDrivers[b]; ok {
		return f()
	}
	rb, err := resolve(b)
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
