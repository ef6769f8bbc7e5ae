// Package envhelp is the environment section of cmd/server's and
// cmd/client's -h: the variables ringnet reads.
package envhelp

// Text lists the variables, as a section of a usage message.
const Text = `Environment:
  RINGNET_BACKEND=epoll|uring  the backend that -backend auto (the default)
                               runs on, for the whole process; unset, auto
                               is uring where io_uring works, else epoll
`
