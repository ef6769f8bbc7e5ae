// Package compat holds no code: its tests (package compat_test) run the same
// scenarios over Go's net package, netfd's epoll backend and netfd's
// io_uring backend, and fail with a diff when what an application observes
// on a netfd backend differs from what it observes on std.
package compat
