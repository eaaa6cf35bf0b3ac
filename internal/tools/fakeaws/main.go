// Command fakeaws serves the in-repo ECS, CloudWatch and Application Auto Scaling fakes on fixed loopback ports,
// seeded with a cluster, services and optionally scalable targets, so the fastscaler CLI and daemon can be tried
// end to end on a laptop without AWS:
//
//	go run ./internal/tools/fakeaws -services router=2,api=4,api-canary=1 -scalable api=4..200 -start-delay 30s &
//	export AWS_ENDPOINT_URL_ECS=http://127.0.0.1:4566 AWS_ENDPOINT_URL_CLOUDWATCH=http://127.0.0.1:4567 \
//	       AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING=http://127.0.0.1:4568 \
//	       AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x
//	fastscaler status
//
// Tasks start after -start-delay, like Fargate. It is a development aid, not part of the product.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/fastscaler/fastscaler/internal/fakeaas"
	"github.com/fastscaler/fastscaler/internal/fakecw"
	"github.com/fastscaler/fastscaler/internal/fakeecs"
)

func main() {
	ecsAddr := flag.String("ecs", "127.0.0.1:4566", "listen address of the ECS fake")
	cwAddr := flag.String("cloudwatch", "127.0.0.1:4567", "listen address of the CloudWatch fake")
	cluster := flag.String("cluster", "prod", "cluster to create")
	services := flag.String("services", "router=2,api=4,api-canary=1", "services to create, NAME=DESIRED,...")
	startDelay := flag.Duration("start-delay", 30*time.Second, "how long a new task takes to run")
	region := flag.String("region", "us-east-1", "region the fake answers for (set AWS_REGION to match)")
	aasAddr := flag.String("aas", "127.0.0.1:4568", "listen address of the Application Auto Scaling fake")
	scalable := flag.String("scalable", "", "scalable targets to register, NAME=MIN..MAX,... (none by default)")
	flag.Parse()
	ecs := fakeecs.New(fakeecs.Options{StartDelay: *startDelay, Region: *region})
	ecs.AddCluster(*cluster)
	for _, kv := range strings.Split(*services, ",") {
		name, n, ok := strings.Cut(kv, "=")
		count, err := strconv.Atoi(n)
		if !ok || err != nil {
			fmt.Fprintf(os.Stderr, "fakeaws: -services entry %q: want NAME=DESIRED\n", kv)
			os.Exit(2)
		}
		ecs.AddService(*cluster, strings.TrimSpace(name), count, nil)
	}
	aas := fakeaas.New(fakeaas.Options{Region: *region,
		Desired: func(id string) (int, error) {
			c, name, _ := fakeaas.SplitResourceID(id)
			s, ok := ecs.Service(c, name)
			if !ok {
				return 0, fmt.Errorf("no service %s", id)
			}
			return s.DesiredCount, nil
		},
		SetDesired: func(id string, n int) error {
			c, name, _ := fakeaas.SplitResourceID(id)
			return ecs.SetDesiredCount(c, name, n)
		},
	})
	for _, kv := range strings.Split(*scalable, ",") {
		if strings.TrimSpace(kv) == "" {
			continue
		}
		name, bounds, ok := strings.Cut(kv, "=")
		lo, hi, ok2 := strings.Cut(bounds, "..")
		minCap, err1 := strconv.Atoi(lo)
		maxCap, err2 := strconv.Atoi(hi)
		if !ok || !ok2 || err1 != nil || err2 != nil || minCap < 0 || minCap > maxCap {
			fmt.Fprintf(os.Stderr, "fakeaws: -scalable entry %q: want NAME=MIN..MAX with 0 <= MIN <= MAX\n", kv)
			os.Exit(2)
		}
		aas.AddTarget("service/"+*cluster+"/"+strings.TrimSpace(name), minCap, maxCap)
	}
	cw := fakecw.New(fakecw.Options{})
	for _, f := range []struct {
		addr string
		fake interface {
			StartOn(addr string) (string, error)
			Close()
		}
	}{{*ecsAddr, ecs}, {*cwAddr, cw}, {*aasAddr, aas}} {
		if _, err := f.fake.StartOn(f.addr); err != nil {
			fmt.Fprintln(os.Stderr, "fakeaws:", err)
			os.Exit(1)
		}
		defer f.fake.Close()
	}
	fmt.Printf("ECS fake on http://%s (cluster %s: %s), CloudWatch fake on http://%s, Application Auto Scaling fake on http://%s (targets: %s)\n",
		*ecsAddr, *cluster, *services, *cwAddr, *aasAddr, *scalable)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
}
