package main

import (
	"runtime/debug"
	"testing"
)

// TestModuleVersion: `go install ...@v1.4.0` prints v1.4.0, not dev; a stamped build keeps its stamp.
func TestModuleVersion(t *testing.T) {
	installed := &debug.BuildInfo{Main: debug.Module{Path: "github.com/fastscaler/fastscaler", Version: "v1.4.0"}}
	local := &debug.BuildInfo{Main: debug.Module{Path: "github.com/fastscaler/fastscaler", Version: "(devel)"}}
	for _, tt := range []struct {
		stamped string
		info    *debug.BuildInfo
		ok      bool
		want    string
	}{
		{"dev", installed, true, "v1.4.0"},
		{"v1.5.0", installed, true, "v1.5.0"},
		{"dev", local, true, "dev"},
		{"dev", nil, false, "dev"},
	} {
		if got := moduleVersion(tt.stamped, tt.info, tt.ok); got != tt.want {
			t.Errorf("moduleVersion(%q, %v) = %q, want %q", tt.stamped, tt.info, got, tt.want)
		}
	}
}
