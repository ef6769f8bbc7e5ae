// Package frameworks holds no code: its tests run real frameworks and
// libraries (gin, echo, chi, gorilla/websocket) on ringnet's HTTP server in
// every backend and mode, as a user switching from net/http would. It is a
// module of its own so that the main module needs none of them.
package frameworks
