package main

import (
	"flag"
	"strings"
)

// expandSwitches rewrites the short options as curl users type them into
// what package flag reads: switches combined (-fsSL into -f -s -S -L) and
// a value joined to its letter (-XPOST into -X POST, -sXPOST into -s -X
// POST). An argument is rewritten only if it names no flag itself and
// its letters are one-letter flags: switches, then at most one of
// curl's that takes a value (joinable), which is the rest of the
// argument or else the next one. The value of a flag that takes one is
// left alone, as is everything after "--".
func expandSwitches(fs *flag.FlagSet, args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return append(out, args[i:]...)
		}
		name, isFlag := strings.CutPrefix(a, "-")
		if !isFlag || name == "" {
			out = append(out, a)
			continue
		}
		long := strings.TrimPrefix(name, "-")
		before, _, hasValue := strings.Cut(long, "=")
		if f := fs.Lookup(long); f != nil || long != name || hasValue && fs.Lookup(before) != nil {
			out = append(out, a) // a flag by name, a --long one, or -name=value
			if f != nil && !isBoolFlag(f) && i+1 < len(args) {
				i++
				out = append(out, args[i])
			}
			continue
		}
		split, takesNext := splitSwitches(fs, name)
		if split == nil {
			out = append(out, a) // package flag says what is wrong with it
			continue
		}
		out = append(out, split...)
		if takesNext && i+1 < len(args) {
			i++
			out = append(out, args[i])
		}
	}
	return out
}

// splitSwitches returns -x for each letter of name, and the value joined
// to the first letter that takes one; takesNext says that the last
// letter takes a value and none was joined. It returns nil if a letter
// is not a flag.
func splitSwitches(fs *flag.FlagSet, name string) (split []string, takesNext bool) {
	for i, r := range name {
		f := fs.Lookup(string(r))
		if f == nil {
			return nil, false
		}
		split = append(split, "-"+string(r))
		if !isBoolFlag(f) {
			if !strings.ContainsRune(joinable, r) {
				return nil, false
			}
			rest := name[i+len(string(r)):]
			if rest == "" {
				return split, true
			}
			return append(split, rest), false
		}
	}
	return split, false
}

// joinable are the one-letter flags that take their value joined, as
// curl's do: -XPOST. The others, -c and -n of load mode, do not, so that
// a mistyped -nope is named as such rather than read as -n ope.
const joinable = "XHdAumow"

func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}
