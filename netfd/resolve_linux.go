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

func driverFor(b Backend) (driver, error) {
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
