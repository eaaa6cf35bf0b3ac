// Command fsbench measures the fastscaler daemon as deployed: it builds and runs the real binary against real
// nginx on loopback and the ECS and CloudWatch fakes, and reports
//
//   - poll200: the CPU and memory of polling 200 router targets every second (goal: < 3% of one core, < 40 MiB RSS);
//   - latency: seconds from the start of a 10x surge to the first UpdateService of each service at 1 s polling
//     (goal: ≤ 3 s, router and API in the same tick), over several runs.
//
// Usage: go run ./internal/tools/fsbench [-mode poll200|latency|all] [-duration 60s] [-runs 5]
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fastscaler/fastscaler/internal/e2e"
	"github.com/fastscaler/fastscaler/internal/fakeaas"
	"github.com/fastscaler/fastscaler/internal/fakecw"
	"github.com/fastscaler/fastscaler/internal/fakeecs"
	"github.com/fastscaler/fastscaler/internal/nginxtest"
)

func main() {
	mode := flag.String("mode", "all", "poll200, latency or all")
	duration := flag.Duration("duration", 60*time.Second, "poll200: how long to measure after a 15 s warm-up")
	runs := flag.Int("runs", 5, "latency: how many surges")
	flag.Parse()
	tb := &bench{}
	defer tb.cleanup()
	bin := build(tb)
	if *mode == "poll200" || *mode == "all" {
		poll200(tb, bin, *duration)
	}
	if *mode == "latency" || *mode == "all" {
		latency(tb, bin, *runs)
	}
}

// bench implements nginxtest.TB for a program.
type bench struct{ cleanups []func() }

func (b *bench) Helper()           {}
func (b *bench) Fatal(args ...any) { b.cleanup(); fmt.Fprintln(os.Stderr, args...); os.Exit(1) }
func (b *bench) Skip(args ...any)  { b.Fatal(args...) }
func (b *bench) Cleanup(f func())  { b.cleanups = append(b.cleanups, f) }
func (b *bench) TempDir() string {
	d, err := os.MkdirTemp("", "fsbench")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(d) })
	return d
}
func (b *bench) cleanup() {
	for i := len(b.cleanups) - 1; i >= 0; i-- {
		b.cleanups[i]()
	}
	b.cleanups = nil
}

func build(tb *bench) string {
	bin := filepath.Join(tb.TempDir(), "fastscaler")
	out, err := exec.Command("go", "build", "-trimpath", "-o", bin, "./cmd/fastscaler").CombinedOutput()
	if err != nil {
		tb.Fatal(fmt.Sprintf("building ./cmd/fastscaler (run from the repo root): %v\n%s", err, out))
	}
	return bin
}

func start(tb *bench, bin string, env []string) *exec.Cmd {
	cmd := exec.Command(bin, "run")
	cmd.Env = append(env, "PATH="+os.Getenv("PATH"), "FASTSCALER_LOG_LEVEL=warn")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	return cmd
}

func poll200(tb *bench, bin string, duration time.Duration) {
	const n = 200
	port := nginxtest.FreePort(tb)
	addrs := make([]string, n)
	for i := range addrs {
		addrs[i] = nginxtest.Addr(fmt.Sprintf("127.0.%d.%d", 10+i/200, 2+i%200), port)
	}
	// One nginx process per router task, as on ECS: stub_status counters are per process.
	for _, a := range addrs {
		nginxtest.Start(tb, nginxtest.Options{Addrs: []string{a}})
	}
	ecs := fakeecs.New(fakeecs.Options{Address: func(service string, i int) string {
		return fmt.Sprintf("127.0.%d.%d", 10+i/200, 2+i%200)
	}})
	ecsURL, err := ecs.Start()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(ecs.Close)
	ecs.AddService(e2e.Cluster, "router", n, nil)
	ecs.AddService(e2e.Cluster, "api", 400, nil)
	cw := fakecw.New(fakecw.Options{})
	cwURL, err := cw.Start()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(cw.Close)
	aas := fakeaas.New(fakeaas.Options{}) // no scalable targets: the daemon's lookups find none, every 10 s
	aasURL, err := aas.Start()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(aas.Close)
	load := nginxtest.NewLoad(func() []string { return addrs })
	load.SetRate(2000)
	ctx, cancel := context.WithCancel(context.Background())
	go load.Run(ctx)
	defer cancel()

	cmd := start(tb, bin, []string{
		"AWS_REGION=us-east-1", "AWS_ACCESS_KEY_ID=AKID", "AWS_SECRET_ACCESS_KEY=secret", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_ENDPOINT_URL_ECS=" + ecsURL, "AWS_ENDPOINT_URL_CLOUDWATCH=" + cwURL, "AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING=" + aasURL,
		"FASTSCALER_CLUSTER=" + e2e.Cluster, "FASTSCALER_ROUTER_SERVICE=router",
		"FASTSCALER_CAPACITY=router:1000,api:250", "FASTSCALER_MIN_TASKS=router:200,api:400",
		"FASTSCALER_MAX_TASKS=router:400,api:800", "FASTSCALER_POLL_INTERVAL=1s", "FASTSCALER_POLL_TIMEOUT=500ms",
		fmt.Sprintf("FASTSCALER_STATUS_PORT=%d", port), fmt.Sprintf("FASTSCALER_LISTEN=127.0.0.1:%d", nginxtest.FreePort(tb)),
	})
	time.Sleep(15 * time.Second) // warm-up: connections established, windows filling
	cpu0, at0 := cpuSeconds(tb, cmd.Process.Pid), time.Now()
	time.Sleep(duration)
	cpu1, at1 := cpuSeconds(tb, cmd.Process.Pid), time.Now()
	rss, hwm := memory(tb, cmd.Process.Pid)
	for _, c := range ecs.Calls() {
		if c.Op == "UpdateService" {
			fmt.Printf("  unexpected UpdateService %s → %d at %s\n", c.Service, *c.DesiredCount, c.Time.Format(time.TimeOnly))
		}
	}
	pct := 100 * (cpu1 - cpu0) / at1.Sub(at0).Seconds()
	fmt.Printf("poll200: 200 router targets polled every 1s for %v: CPU %.2f%% of one core (%.2fs CPU), RSS %.1f MiB (peak %.1f MiB); goal < 3%% and < 40 MiB\n",
		duration, pct, cpu1-cpu0, rss, hwm)
	if err := cmd.Process.Signal(os.Interrupt); err == nil {
		_ = cmd.Wait()
	}
}

// cpuSeconds reads utime+stime of a process from /proc.
func cpuSeconds(tb *bench, pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		tb.Fatal(err)
	}
	// Fields after the command name, which is in parentheses and may contain spaces.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100 // USER_HZ is 100 on Linux
}

// memory reads VmRSS and VmHWM (peak RSS) in MiB.
func memory(tb *bench, pid int) (rss, hwm float64) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), ":")
		kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
		switch k {
		case "VmRSS":
			rss = kb / 1024
		case "VmHWM":
			hwm = kb / 1024
		}
	}
	return rss, hwm
}

func latency(tb *bench, bin string, runs int) {
	var router, api, canary []float64
	for run := range runs {
		s := e2e.Start(tb, e2e.Options{HostPrefix: fmt.Sprintf("127.0.%d.", 20+run), Routers: 16, StartDelay: 3 * time.Second,
			Desired: map[string]int{"router": 2, "api": 4, "api-canary": 1}})
		s.Load.SetRate(100)
		cmd := start(tb, bin, append(s.Env(),
			"FASTSCALER_CAPACITY=router:100,api:25,api-canary:25", "FASTSCALER_WEIGHTS=api:90,api-canary:10",
			"FASTSCALER_MIN_TASKS=router:2,api:4,api-canary:1", "FASTSCALER_MAX_TASKS=router:16,api:100,api-canary:20",
			"FASTSCALER_POLL_INTERVAL=1s", "FASTSCALER_POLL_TIMEOUT=500ms", "FASTSCALER_BASELINE_WINDOW=30s",
			fmt.Sprintf("FASTSCALER_LISTEN=127.0.0.1:%d", nginxtest.FreePort(tb))))
		// A random phase between the surge and the poll ticks, as in production.
		time.Sleep(20*time.Second + time.Duration(run)*time.Second/time.Duration(runs))
		t0 := time.Now()
		s.Load.SetRate(1000)
		deadline := time.Now().Add(30 * time.Second)
		var got map[string]time.Time
		for time.Now().Before(deadline) {
			got = map[string]time.Time{}
			for _, c := range s.Updates() {
				if _, ok := got[c.Service]; !ok {
					got[c.Service] = c.Time
				}
			}
			if len(got) == 3 {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
		if len(got) != 3 {
			tb.Fatal(errors.New("latency: not every service was raised within 30 s"))
		}
		router = append(router, got["router"].Sub(t0).Seconds())
		api = append(api, got["api"].Sub(t0).Seconds())
		canary = append(canary, got["api-canary"].Sub(t0).Seconds())
		fmt.Printf("latency run %d: surge → UpdateService router %.3fs, api %.3fs, api-canary %.3fs\n",
			run+1, router[run], api[run], canary[run])
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}
	for _, r := range []struct {
		name string
		v    []float64
	}{{"router", router}, {"api", api}, {"api-canary", canary}} {
		sort.Float64s(r.v)
		fmt.Printf("latency %s: min %.3fs median %.3fs max %.3fs over %d surges (1 s polling; goal ≤ 3 s)\n",
			r.name, r.v[0], r.v[len(r.v)/2], r.v[len(r.v)-1], len(r.v))
	}
}
