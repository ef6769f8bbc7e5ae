package main

import (
	"flag"
	"strings"
)

// expandSwitches splits combined single-letter switches as curl users type
// them, -fsSL into -f -s -S -L: an argument is split only if it names no
// flag itself and each of its letters is a boolean flag. The value of a
// flag that takes one is left alone, as is everything after "--".
func expandSwitches(fs *flag.FlagSet, args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...)
		}
		name, isFlag := strings.CutPrefix(a, "-")
		long := strings.HasPrefix(name, "-")
		name = strings.TrimPrefix(name, "-")
		if !isFlag || name == "" || strings.Contains(name, "=") {
			out = append(out, a)
			continue
		}
		if f := fs.Lookup(name); f != nil || long {
			out = append(out, a)
			if f != nil && !isBoolFlag(f) && i+1 < len(args) {
				i++
				out = append(out, args[i])
			}
			continue
		}
		out = append(out, splitSwitches(fs, name, a)...)
	}
	return out
}

// splitSwitches returns -x for each letter of name if every one is a
// boolean flag, and arg unchanged otherwise.
func splitSwitches(fs *flag.FlagSet, name, arg string) []string {
	split := make([]string, 0, len(name))
	for _, r := range name {
		f := fs.Lookup(string(r))
		if f == nil || !isBoolFlag(f) {
			return []string{arg}
		}
		split = append(split, "-"+string(r))
	}
	return split
}

func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}
