// Package epoll is a thin edge-triggered epoll poller: create, add and
// delete a descriptor (every one with the same Interest mask), wait into a
// caller-owned event slice, and wake a blocked waiter through an eventfd.
//
// Event data carries a Token (a slot index and a generation chosen by the
// caller), never a Go pointer, so a stale event for a descriptor that was
// closed and replaced can be recognized and dropped.
//
// The package is Linux-only; elsewhere New returns errors.ErrUnsupported.
//
// Example:
//
//	p, err := epoll.New()
//	if err != nil { ... }
//	defer p.Close()
//	p.Add(fd, epoll.MakeToken(slot, gen))
//	events := make([]epoll.Event, 128)
//	n, err := p.Wait(events, -1)
//	for _, ev := range events[:n] {
//		slot, gen := ev.Token().Slot(), ev.Token().Gen()
//		...
//	}
package epoll

// Token identifies a registered descriptor in event data: the low 32 bits are a
// slot index and the high 32 bits a generation, both chosen by the caller.
type Token uint64

// MakeToken packs a slot index and a generation into a Token.
func MakeToken(slot, gen uint32) Token { return Token(uint64(gen)<<32 | uint64(slot)) }

// Slot returns the slot index of t.
func (t Token) Slot() uint32 { return uint32(t) }

// Gen returns the generation of t.
func (t Token) Gen() uint32 { return uint32(t >> 32) }
