package mux

import (
	"errors"
	"fmt"
)

// ErrNilHandler is returned by Register for a nil handler.
var ErrNilHandler = errors.New("mux: nil handler")

// A PatternError reports a pattern that is not valid Go 1.22 ServeMux syntax.
type PatternError struct {
	Pattern string // the pattern as given to Register (after a group's prefix was added)
	Offset  int    // byte offset in Pattern where the problem was found
	Reason  string
}

func (e *PatternError) Error() string {
	return fmt.Sprintf("mux: parsing %q: at offset %d: %s", e.Pattern, e.Offset, e.Reason)
}

// A ConflictError reports that a pattern matches some request that an
// already registered pattern also matches, with neither more specific than
// the other, which is the case ServeMux also rejects.
type ConflictError struct {
	Pattern     string // the pattern being registered
	PatternLoc  string // file:line of the registering call
	Existing    string // the registered pattern it conflicts with
	ExistingLoc string
	Reason      string // why, with an example path where useful
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("mux: pattern %q (registered at %s) conflicts with pattern %q (registered at %s): %s",
		e.Pattern, e.PatternLoc, e.Existing, e.ExistingLoc, e.Reason)
}
