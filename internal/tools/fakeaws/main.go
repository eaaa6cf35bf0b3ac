// Command fakeaws serves the in-repo ECS fake (and CloudWatch fake) on fixed loopback ports, seeded with a cluster
// and services, so the fastscaler CLI and daemon can be tried end to end on a laptop without AWS:
//
//	go run ./internal/tools/fakeaws -services router=2,api=4,api-canary=1 -start-delay 30s &
//	export AWS_ENDPOINT_URL_ECS=http://127.0.0.1:4566 AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x
//	fastscaler status
//
// Tasks start after -start-delay, like Fargate. It is a development aid, not part of the product.
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

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
	serve := func(addr string, h http.Handler) {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			fmt.Fprintln(os.Stderr, "fakeaws:", err)
			os.Exit(1)
		}
		go func() { _ = http.Serve(l, h) }()
	}
	serve(*ecsAddr, ecs)
	serve(*cwAddr, fakecw.New(fakecw.Options{}))
	fmt.Printf("ECS fake on http://%s (cluster %s: %s), CloudWatch fake on http://%s\n", *ecsAddr, *cluster, *services, *cwAddr)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
}
