package cli_test

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var updateCalibrateJSON = flag.Bool("update-calibrate-json", false, "rewrite testdata/calibrate-*.json from the current output")

// TestCalibrateJSONGolden: `calibrate --json` prints, byte for byte, what testdata holds: a recommendation from
// latency with its evidence, refusals, a recommendation from CPU with its warning, and the report's fields.
// The golden files were written before the result types moved their JSON tags into package calibrate.
func TestCalibrateJSONGolden(t *testing.T) {
	u, _ := calibrateUnit(t, 14*1440)
	for _, tc := range []struct {
		file string
		args []string
	}{
		{"calibrate-latency.json", []string{"--json", "--discovery-name", "api=api-http"}},
		{"calibrate-cpu.json", []string{"--json", "--service", "api"}},
		{"calibrate-short.json", []string{"--json", "--since", "3h"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			r := calibrateRun(t, u, tc.args...)
			if r.stdout == "" {
				t.Fatalf("exit %d, no output: %s", r.code, r.stderr)
			}
			path := filepath.Join("testdata", tc.file)
			if *updateCalibrateJSON {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(r.stdout), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(want), r.stdout); diff != "" {
				t.Errorf("calibrate %v (-want +got):\n%s", tc.args, diff)
			}
		})
	}
}
