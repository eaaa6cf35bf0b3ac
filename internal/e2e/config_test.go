package e2e

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestE2EMisspeltRouterServiceExits2: the real binary, started with a router service ECS does not know, refuses to
// run (exit 2, the variable named) instead of staying healthy and blind.
func TestE2EMisspeltRouterServiceExits2(t *testing.T) {
	s := Start(t, Options{HostPrefix: "127.0.9.", Routers: 0, Desired: map[string]int{"router": 2, "api": 4, "api-canary": 1}})
	for _, tc := range []struct {
		name, env, want string
	}{
		{"misspelt router service", "FASTSCALER_ROUTER_SERVICE=routr", `FASTSCALER_ROUTER_SERVICE: "routr"`},
		{"router minimum 0", "FASTSCALER_MIN_TASKS=router:0,api:4,api-canary:1", "FASTSCALER_MIN_TASKS: router:0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(binary, "run")
			cmd.Env = append(append(append(s.Env(), fastPolicy...), tc.env), "FASTSCALER_LISTEN=127.0.0.1:0", "PATH="+os.Getenv("PATH"))
			done := make(chan error, 1)
			var out strings.Builder
			cmd.Stderr = &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				var ee *exec.ExitError
				if !errors.As(err, &ee) || ee.ExitCode() != 2 {
					t.Errorf("exit: %v, want exit status 2\n%s", err, out.String())
				}
				if !strings.Contains(out.String(), tc.want) {
					t.Errorf("stderr does not name the culprit %q:\n%s", tc.want, out.String())
				}
			case <-time.After(20 * time.Second):
				_ = cmd.Process.Kill()
				<-done
				t.Fatalf("still running after 20s, want exit 2:\n%s", out.String())
			}
		})
	}
}
