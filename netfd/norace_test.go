//go:build !race

package netfd_test

const raceEnabled = false
