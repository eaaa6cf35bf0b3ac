package fakeecs_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/google/go-cmp/cmp"

	"github.com/fastscaler/fastscaler/internal/awsfake"
	"github.com/fastscaler/fastscaler/internal/awstest"
	"github.com/fastscaler/fastscaler/internal/clock"
	"github.com/fastscaler/fastscaler/internal/fakeecs"
)

// counts is what DescribeServices says about a service, checked against its PRIMARY deployment too.
type counts struct{ Desired, Running, Pending int32 }

func describeCounts(t *testing.T, c *ecs.Client, service string) counts {
	t.Helper()
	out, err := c.DescribeServices(context.Background(), &ecs.DescribeServicesInput{
		Cluster: aws.String("prod"), Services: []string{service},
	})
	if err != nil || len(out.Services) != 1 {
		t.Fatalf("DescribeServices(%s) = %v, %v", service, out, err)
	}
	svc := out.Services[0]
	got := counts{svc.DesiredCount, svc.RunningCount, svc.PendingCount}
	d := svc.Deployments[0]
	if dep := (counts{d.DesiredCount, d.RunningCount, d.PendingCount}); dep != got {
		t.Errorf("PRIMARY deployment counts %+v differ from the service's %+v", dep, got)
	}
	return got
}

// taskView is the part of a described task the lifecycle tests follow.
type taskView struct {
	LastStatus, DesiredStatus, ENIStatus, IPv4, Container string
	StartedAt, StoppingAt, StoppedAt                      *time.Time
	StopCode                                              types.TaskStopCode
}

func describe(t *testing.T, c *ecs.Client, ids ...string) []taskView {
	t.Helper()
	out, err := c.DescribeTasks(context.Background(), &ecs.DescribeTasksInput{Cluster: aws.String("prod"), Tasks: ids})
	if err != nil {
		t.Fatalf("DescribeTasks: %v", err)
	}
	if len(out.Failures) > 0 {
		t.Fatalf("DescribeTasks failures: %+v", out.Failures)
	}
	var views []taskView
	for _, task := range out.Tasks {
		views = append(views, taskView{
			LastStatus:    aws.ToString(task.LastStatus),
			DesiredStatus: aws.ToString(task.DesiredStatus),
			ENIStatus:     aws.ToString(task.Attachments[0].Status),
			IPv4:          details(task.Attachments[0])["privateIPv4Address"],
			Container:     aws.ToString(task.Containers[0].LastStatus),
			StartedAt:     task.StartedAt,
			StoppingAt:    task.StoppingAt,
			StoppedAt:     task.StoppedAt,
			StopCode:      task.StopCode,
		})
	}
	return views
}

func updateDesired(t *testing.T, c *ecs.Client, service string, n int32) *types.Service {
	t.Helper()
	out, err := c.UpdateService(context.Background(), &ecs.UpdateServiceInput{
		Cluster: aws.String("prod"), Service: aws.String(service), DesiredCount: aws.Int32(n),
	})
	if err != nil {
		t.Fatalf("UpdateService(%s, %d): %v", service, n, err)
	}
	return out.Service
}

func TestScaleOutTasksRunAfterStartDelay(t *testing.T) {
	clk := clock.NewFake(t0)
	s := fakeecs.New(fakeecs.Options{Now: clk.Now, StartDelay: time.Minute, Address: addressOf})
	s.AddService("prod", "router", 2, nil)
	c := newClient(awstest.Start(t, s))

	got := updateDesired(t, c, "router", 5)
	if got.DesiredCount != 5 {
		t.Errorf("UpdateService answered desiredCount %d, want 5", got.DesiredCount)
	}
	snap, _ := s.Service("prod", "router")
	var newIDs []string
	for _, ts := range snap.Tasks[2:] {
		newIDs = append(newIDs, ts.ID)
	}
	listed, _ := listAll(t, c, ecs.ListTasksInput{Cluster: aws.String("prod"), ServiceName: aws.String("router")})
	if len(listed) != 5 {
		t.Errorf("ListTasks(RUNNING) lists %d tasks, want all 5 that ECS wants running", len(listed))
	}

	started := aws.Time(t0.Add(time.Minute))
	steps := []struct {
		advance time.Duration
		want    counts
		task    taskView // each of the three new tasks, but for its address
	}{
		{0, counts{5, 2, 3}, taskView{LastStatus: "PROVISIONING", DesiredStatus: "RUNNING", ENIStatus: "PRECREATED", Container: "PENDING"}},
		{29 * time.Second, counts{5, 2, 3}, taskView{LastStatus: "PROVISIONING", DesiredStatus: "RUNNING", ENIStatus: "PRECREATED", Container: "PENDING"}},
		{time.Second, counts{5, 2, 3}, taskView{LastStatus: "PENDING", DesiredStatus: "RUNNING", ENIStatus: "ATTACHED", IPv4: "x", Container: "PENDING"}},
		{29 * time.Second, counts{5, 2, 3}, taskView{LastStatus: "PENDING", DesiredStatus: "RUNNING", ENIStatus: "ATTACHED", IPv4: "x", Container: "PENDING"}},
		{time.Second, counts{5, 5, 0}, taskView{LastStatus: "RUNNING", DesiredStatus: "RUNNING", ENIStatus: "ATTACHED", IPv4: "x", Container: "RUNNING", StartedAt: started}},
	}
	elapsed := time.Duration(0)
	for _, step := range steps {
		clk.Advance(step.advance)
		elapsed += step.advance
		if got := describeCounts(t, c, "router"); got != step.want {
			t.Errorf("at +%v: counts %+v, want %+v", elapsed, got, step.want)
		}
		var want []taskView
		for i := range newIDs {
			v := step.task
			if v.IPv4 != "" {
				v.IPv4 = addressOf("router", 2+i) // the address appears once the ENI is attached
			}
			want = append(want, v)
		}
		if diff := cmp.Diff(want, describe(t, c, newIDs...)); diff != "" {
			t.Errorf("at +%v: new tasks (-want +got):\n%s", elapsed, diff)
		}
	}

	calls := s.Calls()
	want := fakeecs.Call{Head: awsfake.Head{Op: "UpdateService", Time: t0}, Cluster: "prod", Service: "router", DesiredCount: ptr(5)}
	if diff := cmp.Diff(want, calls[0]); diff != "" {
		t.Errorf("recorded UpdateService (-want +got):\n%s", diff)
	}
}

func TestScaleInStopsNewestTasks(t *testing.T) {
	clk := clock.NewFake(t0)
	s := fakeecs.New(fakeecs.Options{Now: clk.Now, StartDelay: time.Minute, StopDelay: 30 * time.Second, Address: addressOf})
	s.AddService("prod", "router", 3, nil)
	c := newClient(awstest.Start(t, s))

	updateDesired(t, c, "router", 5) // two tasks still PROVISIONING...
	got := updateDesired(t, c, "router", 1)
	if got.DesiredCount != 1 {
		t.Errorf("UpdateService answered desiredCount %d, want 1", got.DesiredCount)
	}
	snap, _ := s.Service("prod", "router")
	var ids []string
	for _, ts := range snap.Tasks {
		ids = append(ids, ts.ID)
	}
	at := func(d time.Duration) *time.Time { return aws.Time(t0.Add(d)) }
	running := func(ip string) taskView {
		return taskView{LastStatus: "RUNNING", DesiredStatus: "RUNNING", ENIStatus: "ATTACHED", IPv4: ip, Container: "RUNNING", StartedAt: at(0)}
	}
	draining := func(ip string) taskView {
		return taskView{LastStatus: "DEACTIVATING", DesiredStatus: "STOPPED", ENIStatus: "ATTACHED", IPv4: ip, Container: "RUNNING",
			StartedAt: at(0), StoppingAt: at(0), StopCode: types.TaskStopCodeServiceSchedulerInitiated}
	}
	neverRan := taskView{LastStatus: "DEPROVISIONING", DesiredStatus: "STOPPED", ENIStatus: "PRECREATED", Container: "STOPPED",
		StoppingAt: at(0), StopCode: types.TaskStopCodeServiceSchedulerInitiated}

	// ...so the newest go first: the two that never ran, then the newest running one. It leaves runningCount
	// at once, since its lastStatus is no longer RUNNING.
	if got := describeCounts(t, c, "router"); got != (counts{1, 1, 0}) {
		t.Errorf("counts right after scale-in %+v, want {1 1 0}", got)
	}
	want := []taskView{running("10.1.0.1"), draining("10.1.0.2"), draining("10.1.0.3"), neverRan, neverRan}
	if diff := cmp.Diff(want, describe(t, c, ids...)); diff != "" {
		t.Errorf("tasks right after scale-in (-want +got):\n%s", diff)
	}
	listed, _ := listAll(t, c, ecs.ListTasksInput{Cluster: aws.String("prod")})
	if diff := cmp.Diff([]string{snap.Tasks[0].ARN}, listed); diff != "" {
		t.Errorf("ListTasks(RUNNING) after scale-in (-want +got):\n%s", diff)
	}

	clk.Advance(29 * time.Second)
	if diff := cmp.Diff(want, describe(t, c, ids...)); diff != "" {
		t.Errorf("tasks before StopDelay is over (-want +got):\n%s", diff)
	}

	clk.Advance(time.Second)
	for i := 1; i < len(want); i++ {
		want[i].LastStatus, want[i].Container, want[i].ENIStatus, want[i].StoppedAt = "STOPPED", "STOPPED", "DELETED", at(30*time.Second)
	}
	if diff := cmp.Diff(want, describe(t, c, ids...)); diff != "" {
		t.Errorf("tasks after StopDelay (-want +got):\n%s", diff)
	}
	stopped, _ := listAll(t, c, ecs.ListTasksInput{Cluster: aws.String("prod"), DesiredStatus: types.DesiredStatusStopped})
	if len(stopped) != 4 {
		t.Errorf("ListTasks(STOPPED) lists %d tasks, want 4", len(stopped))
	}

	// ECS forgets stopped tasks after an hour.
	clk.Advance(time.Hour + time.Second)
	out, err := c.DescribeTasks(context.Background(), &ecs.DescribeTasksInput{Cluster: aws.String("prod"), Tasks: ids})
	if err != nil {
		t.Fatalf("DescribeTasks: %v", err)
	}
	if len(out.Tasks) != 1 || len(out.Failures) != 4 {
		t.Errorf("an hour later: %d tasks, %d failures; want the running one and 4 MISSING", len(out.Tasks), len(out.Failures))
	}
	if snap, _ := s.Service("prod", "router"); len(snap.Tasks) != 1 {
		t.Errorf("snapshot still holds %d tasks, want 1", len(snap.Tasks))
	}
}

func TestCrashedTaskIsReplaced(t *testing.T) {
	clk := clock.NewFake(t0)
	s := fakeecs.New(fakeecs.Options{Now: clk.Now, StartDelay: 10 * time.Second, Address: addressOf})
	s.AddService("prod", "router", 2, nil)
	c := newClient(awstest.Start(t, s))
	before, _ := s.Service("prod", "router")
	crashed := before.Tasks[0]

	clk.Advance(5 * time.Second)
	if err := s.StopTask("prod", crashed.ARN); err != nil {
		t.Fatalf("StopTask: %v", err)
	}
	if got := describeCounts(t, c, "router"); got != (counts{2, 1, 1}) {
		t.Errorf("counts after the crash %+v, want {2 1 1}: the scheduler replaces the task", got)
	}
	out, err := c.DescribeTasks(context.Background(), &ecs.DescribeTasksInput{Cluster: aws.String("prod"), Tasks: []string{crashed.ID}})
	if err != nil {
		t.Fatalf("DescribeTasks: %v", err)
	}
	task := out.Tasks[0]
	if aws.ToString(task.LastStatus) != "STOPPED" || task.StopCode != types.TaskStopCodeEssentialContainerExited ||
		aws.ToString(task.StoppedReason) != "Essential container in task exited" ||
		aws.ToInt32(task.Containers[0].ExitCode) != 1 || !aws.ToTime(task.StoppedAt).Equal(t0.Add(5*time.Second)) {
		t.Errorf("crashed task: lastStatus %s, stopCode %s, reason %q, exit code %v, stoppedAt %v",
			aws.ToString(task.LastStatus), task.StopCode, aws.ToString(task.StoppedReason),
			task.Containers[0].ExitCode, task.StoppedAt)
	}
	after, _ := s.Service("prod", "router")
	replacement := after.Tasks[2]
	if replacement.LastStatus != "PROVISIONING" || replacement.IPv4 != "10.1.0.3" {
		t.Errorf("replacement %+v, want a PROVISIONING task with the next address 10.1.0.3", replacement)
	}

	clk.Advance(10 * time.Second)
	if got := describeCounts(t, c, "router"); got != (counts{2, 2, 0}) {
		t.Errorf("counts once the replacement runs %+v, want {2 2 0}", got)
	}
	if err := s.StopTask("prod", crashed.ID); err == nil {
		t.Errorf("stopping a stopped task again succeeded, want an error")
	}
	if err := s.StopTask("prod", "0123456789abcdef0123456789abcdef"); err == nil {
		t.Errorf("stopping an unknown task succeeded, want an error")
	}
	if err := s.StopTask("staging", crashed.ID); err == nil {
		t.Errorf("stopping a task in an unknown cluster succeeded, want an error")
	}
}

func TestSetTaskStatus(t *testing.T) {
	clk := clock.NewFake(t0)
	s := fakeecs.New(fakeecs.Options{Now: clk.Now, StartDelay: time.Minute, StopDelay: time.Minute})
	s.AddService("prod", "router", 1, nil)
	c := newClient(awstest.Start(t, s))
	updateDesired(t, c, "router", 2)
	snap, _ := s.Service("prod", "router")
	old, fresh := snap.Tasks[0], snap.Tasks[1]

	clk.Advance(10 * time.Second)
	if err := s.SetTaskStatus("prod", fresh.ID, "RUNNING"); err != nil {
		t.Fatalf("SetTaskStatus(RUNNING): %v", err)
	}
	if err := s.SetTaskStatus("prod", old.ARN, "PENDING"); err != nil {
		t.Fatalf("SetTaskStatus(PENDING): %v", err)
	}
	if got := describeCounts(t, c, "router"); got != (counts{2, 1, 1}) {
		t.Errorf("counts %+v, want {2 1 1}: the forced statuses count", got)
	}
	views := describe(t, c, old.ID, fresh.ID)
	if views[0].LastStatus != "PENDING" || views[1].LastStatus != "RUNNING" ||
		!aws.ToTime(views[1].StartedAt).Equal(t0.Add(10*time.Second)) {
		t.Errorf("tasks %+v, want the old one PENDING and the new one RUNNING since +10s", views)
	}

	// A forced status holds as time passes, until the task is stopped.
	clk.Advance(time.Hour)
	updateDesired(t, c, "router", 1)
	views = describe(t, c, old.ID, fresh.ID)
	if views[0].LastStatus != "PENDING" || views[1].LastStatus != "DEACTIVATING" {
		t.Errorf("after scale-in: %s and %s, want PENDING and DEACTIVATING", views[0].LastStatus, views[1].LastStatus)
	}

	for _, tc := range []struct{ cluster, task, status string }{
		{"prod", old.ID, "BROKEN"},
		{"prod", fresh.ID, "RUNNING"}, // already stopping
		{"prod", "0123456789abcdef0123456789abcdef", "RUNNING"},
		{"staging", old.ID, "RUNNING"},
	} {
		if err := s.SetTaskStatus(tc.cluster, tc.task, tc.status); err == nil {
			t.Errorf("SetTaskStatus(%q, %q, %q) succeeded, want an error", tc.cluster, tc.task, tc.status)
		}
	}
}

func TestUpdateService(t *testing.T) {
	s := fakeecs.New(fakeecs.Options{})
	arn := s.AddService("prod", "router", 2, nil)
	s.AddCluster("default")
	s.AddService("default", "api", 1, nil)
	c := newClient(awstest.Start(t, s))
	ctx := context.Background()

	tests := []struct {
		name  string
		in    ecs.UpdateServiceInput
		check func(*testing.T, *ecs.UpdateServiceOutput, error)
	}{
		{"by ARN", ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String(arn), DesiredCount: aws.Int32(3)},
			func(t *testing.T, out *ecs.UpdateServiceOutput, err error) {
				if err != nil || out.Service.DesiredCount != 3 {
					t.Errorf("UpdateService = %v, %v; want desiredCount 3", out, err)
				}
			}},
		{"without desiredCount changes nothing", ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("router"), ForceNewDeployment: true},
			func(t *testing.T, out *ecs.UpdateServiceOutput, err error) {
				if err != nil || out.Service.DesiredCount != 3 {
					t.Errorf("UpdateService = %v, %v; want desiredCount still 3", out, err)
				}
			}},
		{"default cluster", ecs.UpdateServiceInput{Service: aws.String("api"), DesiredCount: aws.Int32(0)},
			func(t *testing.T, out *ecs.UpdateServiceOutput, err error) {
				if err != nil || out.Service.DesiredCount != 0 || aws.ToString(out.Service.ClusterArn) != arnPrefix+"cluster/default" {
					t.Errorf("UpdateService = %v, %v; want api in the default cluster at 0", out, err)
				}
			}},
		{"negative", ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("router"), DesiredCount: aws.Int32(-1)},
			func(t *testing.T, _ *ecs.UpdateServiceOutput, err error) {
				awstest.WantAPIError[*types.InvalidParameterException](t, err, "desiredCount -1")
			}},
		{"over the quota", ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("router"), DesiredCount: aws.Int32(5001)},
			func(t *testing.T, _ *ecs.UpdateServiceOutput, err error) {
				awstest.WantAPIError[*types.InvalidParameterException](t, err, "desiredCount 5001")
			}},
		{"unknown service", ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("web"), DesiredCount: aws.Int32(1)},
			func(t *testing.T, _ *ecs.UpdateServiceOutput, err error) {
				awstest.WantAPIError[*types.ServiceNotFoundException](t, err, `"web"`)
			}},
		{"service of another cluster", ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String("api"), DesiredCount: aws.Int32(1)},
			func(t *testing.T, _ *ecs.UpdateServiceOutput, err error) {
				awstest.WantAPIError[*types.ServiceNotFoundException](t, err, `"api"`)
			}},
		{"unknown cluster", ecs.UpdateServiceInput{Cluster: aws.String("staging"), Service: aws.String("router"), DesiredCount: aws.Int32(1)},
			func(t *testing.T, _ *ecs.UpdateServiceOutput, err error) {
				awstest.WantAPIError[*types.ClusterNotFoundException](t, err, `"staging"`)
			}},
		{"empty service", ecs.UpdateServiceInput{Cluster: aws.String("prod"), Service: aws.String(""), DesiredCount: aws.Int32(1)},
			func(t *testing.T, _ *ecs.UpdateServiceOutput, err error) {
				awstest.WantAPIError[*types.InvalidParameterException](t, err, "service is required")
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := c.UpdateService(ctx, &tc.in)
			tc.check(t, out, err)
		})
	}
	if snap, _ := s.Service("prod", "router"); snap.DesiredCount != 3 || snap.RunningCount != 3 {
		t.Errorf("router after the failed updates: %d desired, %d running; want 3 and 3", snap.DesiredCount, snap.RunningCount)
	}
}

// An Options.Address that returns garbage is a test bug: UpdateService says so and changes nothing.
func TestBadAddressFailsTheUpdate(t *testing.T) {
	s := fakeecs.New(fakeecs.Options{Address: func(service string, n int) string {
		if n == 0 {
			return "10.9.0.1"
		}
		return "task-" + service
	}})
	s.AddService("prod", "router", 1, nil)
	c := newClient(awstest.Start(t, s))
	_, err := c.UpdateService(context.Background(), &ecs.UpdateServiceInput{
		Cluster: aws.String("prod"), Service: aws.String("router"), DesiredCount: aws.Int32(3),
	})
	awstest.WantAPIError[*types.ServerException](t, err, `Options.Address("router", 1) returned "task-router"`)
	if snap, _ := s.Service("prod", "router"); snap.DesiredCount != 1 || len(snap.Tasks) != 1 {
		t.Errorf("router after the failed update: %d desired, %d tasks; want 1 and 1", snap.DesiredCount, len(snap.Tasks))
	}
}

func TestSetDesiredCountAsAnotherActor(t *testing.T) {
	clk := clock.NewFake(t0)
	s := fakeecs.New(fakeecs.Options{Now: clk.Now, StartDelay: time.Minute, Address: addressOf})
	s.AddService("prod", "api", 2, nil)
	c := newClient(awstest.Start(t, s))

	if err := s.SetDesiredCount("prod", "api", 5); err != nil {
		t.Fatal(err)
	}
	if got := describeCounts(t, c, "api"); got != (counts{5, 2, 3}) {
		t.Errorf("after SetDesiredCount(5): %+v, want {5 2 3}", got)
	}
	if err := s.SetDesiredCount("prod", "api", 1); err != nil {
		t.Fatal(err)
	}
	if got := describeCounts(t, c, "api"); got != (counts{1, 1, 0}) {
		t.Errorf("after SetDesiredCount(1): %+v, want {1 1 0}", got)
	}
	for _, calls := range s.Calls() {
		if calls.Op == "UpdateService" {
			t.Errorf("SetDesiredCount recorded an UpdateService call: %+v", calls)
		}
	}
	for _, bad := range []struct {
		cluster, name string
		n             int
	}{{"prod", "api", -1}, {"prod", "api", 5001}, {"nope", "api", 1}, {"prod", "nope", 1}} {
		if err := s.SetDesiredCount(bad.cluster, bad.name, bad.n); err == nil {
			t.Errorf("SetDesiredCount(%q, %q, %d) succeeded, want an error", bad.cluster, bad.name, bad.n)
		}
	}
}
