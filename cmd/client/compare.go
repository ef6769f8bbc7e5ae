package main

import (
	"context"
	"io"
)

// compare runs the same load once per backend of compareBackends, one after
// another so that they do not compete for the CPU, and prints them side by
// side. A backend that cannot run here gets a row that says why, and fails
// the run.
func compare(ctx context.Context, cfg *config, stdout, stderr io.Writer) int {
	var rs []*result
	for _, name := range compareBackends {
		if ctx.Err() != nil {
			break
		}
		b, err := parseBackend(name)
		if err != nil {
			rs = append(rs, &result{backend: b, err: err})
			continue
		}
		rs = append(rs, runLoad(ctx, cfg, b))
	}
	return report(cfg, rs, stdout, stderr)
}
