package netfd

import "fmt"

// resolve maps b to the backend that will run, and driverFor to its driver.
func resolve(b Backend) (Backend, error) {
	switch b {
	case Auto, "":
		return Epoll, nil
	case Epoll:
		return Epoll, nil
	case Uring:
		return "", fmt.Errorf("%w: not built yet; use epoll", ErrUringUnavailable)
	}
	return "", errBackend(b)
}

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
	}
	return nil, errBackend(rb)
}
