package procstat

import (
	"os"
	"testing"
)

func TestFields(t *testing.T) {
	for _, pid := range []int{0, os.Getpid()} {
		v, err := Fields(pid, "Threads", "VmRSS")
		if err != nil {
			t.Fatal(err)
		}
		if v[0] < 1 || v[1] < 1 {
			t.Errorf("pid %d: Threads %d, VmRSS %d KiB", pid, v[0], v[1])
		}
	}
	if _, err := Fields(0, "VmRSS", "NoSuchField"); err == nil {
		t.Error("a missing field gave no error")
	}
}
