package sim

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/fastscaler/fastscaler/autoscaler"
)

func TestZZExplore(t *testing.T) {
	if os.Getenv("XSC") == "" {
		t.Skip()
	}
	env := append([]string{"FASTSCALER_CLUSTER=sim", "FASTSCALER_ROUTER_SERVICE=router",
		"FASTSCALER_CAPACITY=router:1000,api:250,api-canary:250", "FASTSCALER_WEIGHTS=api:90,api-canary:10",
		"FASTSCALER_MIN_TASKS=router:2,api:4,api-canary:1"}, strings.Fields(os.Getenv("XENV"))...)
	sc, err := autoscaler.LoadConfig(env)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range strings.Split(os.Getenv("XSC"), ",") {
		seed := uint64(1)
		if v := os.Getenv("XSEED"); v != "" {
			fmt.Sscan(v, &seed)
		}
		tr, _ := Scenario(name, seed)
		pols := []string{"fastscaler", "oracle"}
		if os.Getenv("XALL") != "" {
			pols = nil
		}
		res, err := Run(func() Config { c := NewConfig(sc); c.Policies, c.Seed = pols, seed; return c }(), tr)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			s := r.Summary
			fmt.Printf("%-14s %-16s unserved %6.3f%% 503s %5d peak %6.0f taskmin %7.0f x%.2f actions %4d false %d\n",
				name, s.Policy, s.UnservedPct, s.SecondsWith503, s.PeakUnservedRPS, s.TaskMinutes, s.CostVsOracle, s.ScalingActions, s.FalseScaleOuts)
		}
	}
}
