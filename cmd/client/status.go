package main

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// A statusSet is the statuses -expect-status accepts: ranges of codes,
// kept with the text that gave them for reports.
type statusSet struct {
	text   string
	ranges [][2]int // [lo, hi], inclusive
}

// parseStatusSet reads a list of codes (200), classes (2xx) and ranges
// (200-299), separated by commas.
func parseStatusSet(s string) (statusSet, error) {
	set := statusSet{text: s}
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		lo, hi, err := parseStatusRange(item)
		if err != nil {
			return statusSet{}, err
		}
		set.ranges = append(set.ranges, [2]int{lo, hi})
	}
	return set, nil
}

// parseStatusRange reads one item of a statusSet.
func parseStatusRange(item string) (lo, hi int, err error) {
	if c, ok := strings.CutSuffix(strings.ToLower(item), "xx"); ok {
		n, err := strconv.Atoi(c)
		if err != nil || len(c) != 1 || n < 1 || n > 5 {
			return 0, 0, fmt.Errorf("%q: a class is 1xx to 5xx", item)
		}
		return 100 * n, 100*n + 99, nil
	}
	a, b, isRange := strings.Cut(item, "-")
	if lo, err = parseCode(a); err == nil {
		hi = lo
		if isRange {
			hi, err = parseCode(b)
		}
	}
	switch {
	case err != nil:
		return 0, 0, fmt.Errorf("%q: %v", item, err)
	case lo > hi:
		return 0, 0, fmt.Errorf("%q: an empty range", item)
	}
	return lo, hi, nil
}

func parseCode(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 100 || n > 999 {
		return 0, errors.New("want a status code (100 to 999), a class (2xx) or a range (200-299)")
	}
	return n, nil
}

// has reports whether code is in the set.
func (s statusSet) has(code int) bool {
	for _, r := range s.ranges {
		if r[0] <= code && code <= r[1] {
			return true
		}
	}
	return false
}

func (s statusSet) String() string { return s.text }

// outside returns the counts of the codes of status that s does not
// have, nil if there are none.
func (s statusSet) outside(status map[int]uint64) map[int]uint64 {
	var out map[int]uint64
	for code, n := range status {
		if !s.has(code) {
			if out == nil {
				out = map[int]uint64{}
			}
			out[code] = n
		}
	}
	return out
}

// fmtStatus lists the responses by status code: "200: 1234, 404: 5".
func fmtStatus(status map[int]uint64) string {
	if len(status) == 0 {
		return "none"
	}
	codes := make([]int, 0, len(status))
	for c := range status {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = fmt.Sprintf("%d: %d", c, status[c])
	}
	return strings.Join(parts, ", ")
}

// sum adds up the counts of status.
func sum(status map[int]uint64) uint64 {
	var n uint64
	for _, c := range status {
		n += c
	}
	return n
}

// outsideLine says which responses of status s does not have, by code:
// "12 responses outside -expect-status 2xx: 301: 3, 404: 9"; "" if
// there are none.
func (s statusSet) outsideLine(status map[int]uint64) string {
	out := s.outside(status)
	if out == nil {
		return ""
	}
	return fmt.Sprintf("%d responses outside -expect-status %s: %s", sum(out), s, fmtStatus(out))
}
