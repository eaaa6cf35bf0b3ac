package fakeecs_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/google/go-cmp/cmp"

	"github.com/fastscaler/fastscaler/internal/awstest"
	"github.com/fastscaler/fastscaler/internal/clock"
	"github.com/fastscaler/fastscaler/internal/fakeecs"
)

// listAll pages through ListTasks and returns every ARN and the size of each page.
func listAll(t *testing.T, c *ecs.Client, in ecs.ListTasksInput) (arns []string, pages []int) {
	t.Helper()
	for {
		out, err := c.ListTasks(context.Background(), &in)
		if err != nil {
			t.Fatalf("ListTasks: %v", err)
		}
		arns = append(arns, out.TaskArns...)
		pages = append(pages, len(out.TaskArns))
		if out.NextToken == nil {
			return arns, pages
		}
		if len(pages) > 100 {
			t.Fatalf("ListTasks never stops paging")
		}
		in.NextToken = out.NextToken
	}
}

func taskARNs(snap fakeecs.ServiceSnapshot, desiredStatus string) []string {
	var arns []string
	for _, ts := range snap.Tasks {
		if ts.DesiredStatus == desiredStatus {
			arns = append(arns, ts.ARN)
		}
	}
	return arns
}

func TestListTasksPagination(t *testing.T) {
	tests := []struct {
		name       string
		pageSize   int
		maxResults *int32
		tasks      int
		wantPages  []int
	}{
		{name: "page size from Options", pageSize: 3, tasks: 7, wantPages: []int{3, 3, 1}},
		{name: "maxResults overrides it", pageSize: 3, maxResults: aws.Int32(5), tasks: 7, wantPages: []int{5, 2}},
		{name: "no empty last page", pageSize: 4, tasks: 8, wantPages: []int{4, 4}},
		{name: "ECS default of 100", tasks: 101, wantPages: []int{100, 1}},
		{name: "no tasks", pageSize: 3, tasks: 0, wantPages: []int{0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := fakeecs.New(fakeecs.Options{PageSize: tc.pageSize})
			s.AddService("prod", "router", tc.tasks, nil)
			s.AddService("prod", "api", 2, nil) // must not show up when filtering by service
			c := newClient(awstest.Start(t, s))

			arns, pages := listAll(t, c, ecs.ListTasksInput{
				Cluster: aws.String("prod"), ServiceName: aws.String("router"), MaxResults: tc.maxResults,
			})
			if diff := cmp.Diff(tc.wantPages, pages); diff != "" {
				t.Errorf("page sizes (-want +got):\n%s", diff)
			}
			snap, _ := s.Service("prod", "router")
			if diff := cmp.Diff(taskARNs(snap, "RUNNING"), arns, awstest.CmpSDK); diff != "" {
				t.Errorf("task ARNs (-want +got):\n%s", diff)
			}
		})
	}
}

// A nextToken is a cursor, so tasks starting and stopping between pages neither repeat nor hide others.
func TestListTasksPagesStayConsistentWhileScaling(t *testing.T) {
	s := fakeecs.New(fakeecs.Options{PageSize: 2})
	s.AddService("prod", "router", 4, nil)
	c := newClient(awstest.Start(t, s))
	ctx := context.Background()

	first, err := c.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("prod"), ServiceName: aws.String("router")})
	if err != nil {
		t.Fatalf("ListTasks: %v", err)
	}
	if _, err := c.UpdateService(ctx, &ecs.UpdateServiceInput{
		Cluster: aws.String("prod"), Service: aws.String("router"), DesiredCount: aws.Int32(6),
	}); err != nil {
		t.Fatalf("UpdateService: %v", err)
	}
	rest, _ := listAll(t, c, ecs.ListTasksInput{
		Cluster: aws.String("prod"), ServiceName: aws.String("router"), NextToken: first.NextToken,
	})
	snap, _ := s.Service("prod", "router")
	if diff := cmp.Diff(taskARNs(snap, "RUNNING"), append(first.TaskArns, rest...)); diff != "" {
		t.Errorf("task ARNs across pages (-want +got):\n%s", diff)
	}
}

func TestListTasksFilters(t *testing.T) {
	clk := clock.NewFake(t0)
	s := fakeecs.New(fakeecs.Options{Now: clk.Now, StopDelay: 30 * time.Second})
	s.AddService("prod", "router", 4, nil)
	s.AddService("prod", "api", 1, nil)
	c := newClient(awstest.Start(t, s))
	if _, err := c.UpdateService(context.Background(), &ecs.UpdateServiceInput{
		Cluster: aws.String("prod"), Service: aws.String("router"), DesiredCount: aws.Int32(2),
	}); err != nil {
		t.Fatalf("UpdateService: %v", err)
	}
	router, _ := s.Service("prod", "router")
	api, _ := s.Service("prod", "api")
	arn := func(snap fakeecs.ServiceSnapshot, i int) string { return snap.Tasks[i].ARN }

	tests := []struct {
		name string
		in   ecs.ListTasksInput
		want []string
	}{
		{name: "RUNNING by default, stopping tasks excluded",
			in: ecs.ListTasksInput{ServiceName: aws.String("router")}, want: []string{arn(router, 0), arn(router, 1)}},
		{name: "STOPPED lists tasks told to stop",
			in:   ecs.ListTasksInput{ServiceName: aws.String("router"), DesiredStatus: types.DesiredStatusStopped},
			want: []string{arn(router, 2), arn(router, 3)}},
		{name: "PENDING is never a desired status",
			in: ecs.ListTasksInput{DesiredStatus: types.DesiredStatusPending}, want: nil},
		{name: "whole cluster in start order",
			in: ecs.ListTasksInput{}, want: []string{arn(router, 0), arn(router, 1), arn(api, 0)}},
		{name: "service by ARN",
			in: ecs.ListTasksInput{ServiceName: aws.String(api.ARN)}, want: []string{arn(api, 0)}},
		{name: "family is the task definition family",
			in: ecs.ListTasksInput{Family: aws.String("api")}, want: []string{arn(api, 0)}},
		{name: "startedBy another deployment",
			in: ecs.ListTasksInput{StartedBy: aws.String("ecs-svc/0000000000000000000")}, want: nil},
		{name: "launch type EC2",
			in: ecs.ListTasksInput{LaunchType: types.LaunchTypeEc2}, want: nil},
		{name: "launch type FARGATE",
			in: ecs.ListTasksInput{LaunchType: types.LaunchTypeFargate, ServiceName: aws.String("api")}, want: []string{arn(api, 0)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.in.Cluster = aws.String("prod")
			got, _ := listAll(t, c, tc.in)
			if diff := cmp.Diff(tc.want, got, awstest.CmpSDK); diff != "" {
				t.Errorf("task ARNs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestListTasksErrors(t *testing.T) {
	s := fakeecs.New(fakeecs.Options{})
	s.AddService("prod", "router", 1, nil)
	c := newClient(awstest.Start(t, s))
	ctx := context.Background()

	tests := []struct {
		name  string
		in    ecs.ListTasksInput
		check func(*testing.T, error)
	}{
		{"unknown cluster", ecs.ListTasksInput{Cluster: aws.String("staging")}, func(t *testing.T, err error) {
			awstest.WantAPIError[*types.ClusterNotFoundException](t, err, `"staging"`)
		}},
		{"no default cluster", ecs.ListTasksInput{}, func(t *testing.T, err error) {
			awstest.WantAPIError[*types.ClusterNotFoundException](t, err, `"default"`)
		}},
		{"unknown service", ecs.ListTasksInput{Cluster: aws.String("prod"), ServiceName: aws.String("web")}, func(t *testing.T, err error) {
			awstest.WantAPIError[*types.ServiceNotFoundException](t, err, `"web"`)
		}},
		{"bad desiredStatus", ecs.ListTasksInput{Cluster: aws.String("prod"), DesiredStatus: "DONE"}, func(t *testing.T, err error) {
			awstest.WantAPIError[*types.InvalidParameterException](t, err, "DONE")
		}},
		{"maxResults 0", ecs.ListTasksInput{Cluster: aws.String("prod"), MaxResults: aws.Int32(0)}, func(t *testing.T, err error) {
			awstest.WantAPIError[*types.InvalidParameterException](t, err, "maxResults 0")
		}},
		{"maxResults 101", ecs.ListTasksInput{Cluster: aws.String("prod"), MaxResults: aws.Int32(101)}, func(t *testing.T, err error) {
			awstest.WantAPIError[*types.InvalidParameterException](t, err, "maxResults 101")
		}},
		{"forged nextToken", ecs.ListTasksInput{Cluster: aws.String("prod"), NextToken: aws.String("bm90LWEtdG9rZW4")}, func(t *testing.T, err error) {
			awstest.WantAPIError[*types.InvalidParameterException](t, err, "nextToken")
		}},
		{"cluster ARN of another account", ecs.ListTasksInput{Cluster: aws.String("arn:aws:ecs:us-east-1:999999999999:cluster/prod")}, func(t *testing.T, err error) {
			awstest.WantAPIError[*types.ClusterNotFoundException](t, err, "999999999999")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.ListTasks(ctx, &tc.in)
			tc.check(t, err)
		})
	}

	// The cluster may also be named by its ARN.
	out, err := c.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(arnPrefix + "cluster/prod")})
	if err != nil || len(out.TaskArns) != 1 {
		t.Errorf("ListTasks by cluster ARN = %v, %v; want 1 task", out, err)
	}
}

// TestDescribeTasksShape compares a whole task with what ECS returns for a running Fargate task, so that a
// field the SDK would silently drop (a misspelt name) shows up as a difference.
func TestDescribeTasksShape(t *testing.T) {
	clk := clock.NewFake(t0)
	s := fakeecs.New(fakeecs.Options{Now: clk.Now, Address: addressOf})
	s.AddService("prod", "router", 1, nil)
	c := newClient(awstest.Start(t, s))
	snap, _ := s.Service("prod", "router")
	taskARN := snap.Tasks[0].ARN

	out, err := c.DescribeTasks(context.Background(), &ecs.DescribeTasksInput{
		Cluster: aws.String("prod"), Tasks: []string{taskARN},
	})
	if err != nil {
		t.Fatalf("DescribeTasks: %v", err)
	}
	if len(out.Tasks) != 1 || len(out.Failures) != 0 {
		t.Fatalf("DescribeTasks = %d tasks, %d failures; want 1, 0", len(out.Tasks), len(out.Failures))
	}
	got := out.Tasks[0]

	// Opaque identifiers: check their form, then take them as they are.
	att := got.Attachments[0]
	awstest.WantMatch(t, "attachment id", aws.ToString(att.Id), `^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	awstest.WantMatch(t, "subnetId", aws.ToString(att.Details[0].Value), `^subnet-[0-9a-f]{17}$`)
	awstest.WantMatch(t, "networkInterfaceId", aws.ToString(att.Details[1].Value), `^eni-[0-9a-f]{17}$`)
	awstest.WantMatch(t, "macAddress", aws.ToString(att.Details[2].Value), `^([0-9a-f]{2}:){5}[0-9a-f]{2}$`)
	awstest.WantMatch(t, "taskArn", taskARN, `^`+arnPrefix+`task/prod/[0-9a-f]{32}$`)
	awstest.WantMatch(t, "containerArn", aws.ToString(got.Containers[0].ContainerArn), `^`+arnPrefix+`container/prod/[0-9a-f]{32}/[0-9a-f-]{36}$`)
	awstest.WantMatch(t, "startedBy", aws.ToString(got.StartedBy), `^ecs-svc/\d{19}$`)

	want := types.Task{
		Attachments: []types.Attachment{{
			Id:     att.Id,
			Type:   aws.String("ElasticNetworkInterface"),
			Status: aws.String("ATTACHED"),
			Details: []types.KeyValuePair{
				{Name: aws.String("subnetId"), Value: att.Details[0].Value},
				{Name: aws.String("networkInterfaceId"), Value: att.Details[1].Value},
				{Name: aws.String("macAddress"), Value: att.Details[2].Value},
				{Name: aws.String("privateDnsName"), Value: aws.String("ip-10-1-0-1.ec2.internal")},
				{Name: aws.String("privateIPv4Address"), Value: aws.String("10.1.0.1")},
			},
		}},
		AvailabilityZone: aws.String("us-east-1a"),
		ClusterArn:       aws.String(arnPrefix + "cluster/prod"),
		Connectivity:     types.ConnectivityConnected,
		ConnectivityAt:   aws.Time(t0),
		Containers: []types.Container{{
			ContainerArn: got.Containers[0].ContainerArn,
			Cpu:          aws.String("0"),
			HealthStatus: types.HealthStatusUnknown,
			Image:        aws.String("router:latest"),
			LastStatus:   aws.String("RUNNING"),
			Name:         aws.String("router"),
			NetworkInterfaces: []types.NetworkInterface{{
				AttachmentId: att.Id, PrivateIpv4Address: aws.String("10.1.0.1"),
			}},
			RuntimeId: aws.String(snap.Tasks[0].ID + "-0527074092"),
			TaskArn:   aws.String(taskARN),
		}},
		Cpu:               aws.String("256"),
		CreatedAt:         aws.Time(t0),
		DesiredStatus:     aws.String("RUNNING"),
		EphemeralStorage:  &types.EphemeralStorage{SizeInGiB: 20},
		Group:             aws.String("service:router"),
		HealthStatus:      types.HealthStatusUnknown,
		LastStatus:        aws.String("RUNNING"),
		LaunchType:        types.LaunchTypeFargate,
		Memory:            aws.String("512"),
		PlatformFamily:    aws.String("Linux"),
		PlatformVersion:   aws.String("1.4.0"),
		PullStartedAt:     aws.Time(t0),
		PullStoppedAt:     aws.Time(t0),
		StartedAt:         aws.Time(t0),
		StartedBy:         got.StartedBy,
		TaskArn:           aws.String(taskARN),
		TaskDefinitionArn: aws.String(arnPrefix + "task-definition/router:1"),
		Version:           3,
	}
	if diff := cmp.Diff(want, got, awstest.CmpSDK); diff != "" {
		t.Errorf("task (-want +got):\n%s", diff)
	}
}

// details flattens an ENI attachment's name/value pairs.
func details(a types.Attachment) map[string]string {
	m := make(map[string]string)
	for _, kv := range a.Details {
		m[aws.ToString(kv.Name)] = aws.ToString(kv.Value)
	}
	return m
}

func TestDescribeTasksAddressFamilies(t *testing.T) {
	tests := []struct {
		service     string
		wantDetails map[string]string // without the opaque subnetId, networkInterfaceId, macAddress
		wantNIC     types.NetworkInterface
	}{
		{
			service:     "router",
			wantDetails: map[string]string{"privateDnsName": "ip-10-1-0-1.ec2.internal", "privateIPv4Address": "10.1.0.1"},
			wantNIC:     types.NetworkInterface{PrivateIpv4Address: aws.String("10.1.0.1")},
		},
		{
			service:     "api6",
			wantDetails: map[string]string{"ipv6Address": "fd00:6::1"},
			wantNIC:     types.NetworkInterface{Ipv6Address: aws.String("fd00:6::1")},
		},
		{
			service: "dual",
			wantDetails: map[string]string{
				"privateDnsName": "ip-10-2-0-1.ec2.internal", "privateIPv4Address": "10.2.0.1", "ipv6Address": "fd00:2::1",
			},
			wantNIC: types.NetworkInterface{PrivateIpv4Address: aws.String("10.2.0.1"), Ipv6Address: aws.String("fd00:2::1")},
		},
	}
	s := fakeecs.New(fakeecs.Options{Address: addressOf})
	for _, tc := range tests {
		s.AddService("prod", tc.service, 1, nil)
	}
	c := newClient(awstest.Start(t, s))
	for _, tc := range tests {
		t.Run(tc.service, func(t *testing.T) {
			snap, _ := s.Service("prod", tc.service)
			out, err := c.DescribeTasks(context.Background(), &ecs.DescribeTasksInput{
				Cluster: aws.String("prod"), Tasks: []string{snap.Tasks[0].ID}, // by ID this time
			})
			if err != nil || len(out.Tasks) != 1 {
				t.Fatalf("DescribeTasks = %v, %v; want one task", out, err)
			}
			got := details(out.Tasks[0].Attachments[0])
			for _, opaque := range []string{"subnetId", "networkInterfaceId", "macAddress"} {
				if got[opaque] == "" {
					t.Errorf("ENI detail %s missing", opaque)
				}
				delete(got, opaque)
			}
			if diff := cmp.Diff(tc.wantDetails, got); diff != "" {
				t.Errorf("ENI details (-want +got):\n%s", diff)
			}
			tc.wantNIC.AttachmentId = out.Tasks[0].Attachments[0].Id
			if diff := cmp.Diff([]types.NetworkInterface{tc.wantNIC}, out.Tasks[0].Containers[0].NetworkInterfaces, awstest.CmpSDK); diff != "" {
				t.Errorf("container network interfaces (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDescribeTasksFailuresAndLimits(t *testing.T) {
	s := fakeecs.New(fakeecs.Options{})
	s.AddService("prod", "router", 2, nil)
	s.AddService("other", "router", 1, nil)
	c := newClient(awstest.Start(t, s))
	ctx := context.Background()
	prod, _ := s.Service("prod", "router")
	other, _ := s.Service("other", "router")

	missingID := "0123456789abcdef0123456789abcdef"
	out, err := c.DescribeTasks(ctx, &ecs.DescribeTasksInput{
		Cluster: aws.String("prod"),
		Tasks:   []string{prod.Tasks[1].ARN, missingID, other.Tasks[0].ARN, prod.Tasks[1].ID, prod.Tasks[0].ID},
		Include: []types.TaskField{types.TaskFieldTags},
	})
	if err != nil {
		t.Fatalf("DescribeTasks: %v", err)
	}
	var gotARNs []string
	for _, task := range out.Tasks {
		gotARNs = append(gotARNs, aws.ToString(task.TaskArn))
	}
	// In request order, each task once; a task of another cluster is missing from this one.
	if diff := cmp.Diff([]string{prod.Tasks[1].ARN, prod.Tasks[0].ARN}, gotARNs); diff != "" {
		t.Errorf("described tasks (-want +got):\n%s", diff)
	}
	wantFailures := []types.Failure{
		{Arn: aws.String(arnPrefix + "task/prod/" + missingID), Reason: aws.String("MISSING")},
		{Arn: aws.String(other.Tasks[0].ARN), Reason: aws.String("MISSING")},
	}
	if diff := cmp.Diff(wantFailures, out.Failures, awstest.CmpSDK); diff != "" {
		t.Errorf("failures (-want +got):\n%s", diff)
	}

	tooMany := make([]string, 101)
	for i := range tooMany {
		tooMany[i] = fmt.Sprintf("%032x", i)
	}
	_, err = c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("prod"), Tasks: tooMany})
	awstest.WantAPIError[*types.InvalidParameterException](t, err, "at most 100")
	_, err = c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("prod"), Tasks: []string{}})
	awstest.WantAPIError[*types.InvalidParameterException](t, err, "empty")
	_, err = c.DescribeTasks(ctx, &ecs.DescribeTasksInput{
		Cluster: aws.String("prod"), Tasks: []string{missingID}, Include: []types.TaskField{"LABELS"},
	})
	awstest.WantAPIError[*types.InvalidParameterException](t, err, "LABELS")
	_, err = c.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("nope"), Tasks: []string{missingID}})
	awstest.WantAPIError[*types.ClusterNotFoundException](t, err, "nope")
}

func TestDescribeServices(t *testing.T) {
	clk := clock.NewFake(t0)
	s := fakeecs.New(fakeecs.Options{Now: clk.Now})
	routerARN := s.AddService("prod", "router", 2, map[string]string{"team": "edge"})
	s.AddService("prod", "api", 0, nil)
	c := newClient(awstest.Start(t, s))
	ctx := context.Background()

	out, err := c.DescribeServices(ctx, &ecs.DescribeServicesInput{
		Cluster:  aws.String("prod"),
		Services: []string{routerARN, "web", "api", "router"},
		Include:  []types.ServiceField{types.ServiceFieldTags},
	})
	if err != nil {
		t.Fatalf("DescribeServices: %v", err)
	}
	if len(out.Services) != 2 {
		t.Fatalf("got %d services, want router and api once each", len(out.Services))
	}
	router := out.Services[0]
	awstest.WantMatch(t, "deployment id", aws.ToString(router.Deployments[0].Id), `^ecs-svc/\d{19}$`)
	want := types.Service{
		ServiceArn:   aws.String(arnPrefix + "service/prod/router"),
		ServiceName:  aws.String("router"),
		ClusterArn:   aws.String(arnPrefix + "cluster/prod"),
		Status:       aws.String("ACTIVE"),
		DesiredCount: 2, RunningCount: 2, PendingCount: 0,
		LaunchType:      types.LaunchTypeFargate,
		PlatformVersion: aws.String("LATEST"),
		PlatformFamily:  aws.String("Linux"),
		TaskDefinition:  aws.String(arnPrefix + "task-definition/router:1"),
		DeploymentConfiguration: &types.DeploymentConfiguration{
			DeploymentCircuitBreaker: &types.DeploymentCircuitBreaker{},
			MaximumPercent:           aws.Int32(200),
			MinimumHealthyPercent:    aws.Int32(100),
		},
		Deployments: []types.Deployment{{
			Id:                   router.Deployments[0].Id,
			Status:               aws.String("PRIMARY"),
			TaskDefinition:       aws.String(arnPrefix + "task-definition/router:1"),
			DesiredCount:         2,
			RunningCount:         2,
			CreatedAt:            aws.Time(t0),
			UpdatedAt:            aws.Time(t0),
			LaunchType:           types.LaunchTypeFargate,
			PlatformVersion:      aws.String("1.4.0"),
			PlatformFamily:       aws.String("Linux"),
			NetworkConfiguration: router.NetworkConfiguration,
			RolloutState:         types.DeploymentRolloutStateCompleted,
			RolloutStateReason:   aws.String("ECS deployment " + aws.ToString(router.Deployments[0].Id) + " completed."),
		}},
		CreatedAt:            aws.Time(t0),
		NetworkConfiguration: router.NetworkConfiguration,
		SchedulingStrategy:   types.SchedulingStrategyReplica,
		DeploymentController: &types.DeploymentController{Type: types.DeploymentControllerTypeEcs},
		Tags:                 []types.Tag{{Key: aws.String("team"), Value: aws.String("edge")}},
		CreatedBy:            aws.String("arn:aws:iam::" + account + ":role/fakeecs"),
		PropagateTags:        types.PropagateTagsNone,
	}
	if diff := cmp.Diff(want, router, awstest.CmpSDK); diff != "" {
		t.Errorf("router service (-want +got):\n%s", diff)
	}
	if vpc := router.NetworkConfiguration.AwsvpcConfiguration; vpc == nil || len(vpc.Subnets) != 3 || vpc.AssignPublicIp != types.AssignPublicIpDisabled {
		t.Errorf("networkConfiguration = %+v, want three subnets and no public IP", vpc)
	}
	if got := aws.ToString(out.Services[1].ServiceName); got != "api" || out.Services[1].DesiredCount != 0 {
		t.Errorf("second service = %s with %d desired, want api with 0", got, out.Services[1].DesiredCount)
	}
	wantFailures := []types.Failure{{Arn: aws.String(arnPrefix + "service/prod/web"), Reason: aws.String("MISSING")}}
	if diff := cmp.Diff(wantFailures, out.Failures, awstest.CmpSDK); diff != "" {
		t.Errorf("failures (-want +got):\n%s", diff)
	}

	_, err = c.DescribeServices(ctx, &ecs.DescribeServicesInput{
		Cluster: aws.String("prod"), Services: []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"},
	})
	awstest.WantAPIError[*types.InvalidParameterException](t, err, "at most 10")
	_, err = c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("prod"), Services: []string{}})
	awstest.WantAPIError[*types.InvalidParameterException](t, err, "empty")
	_, err = c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("staging"), Services: []string{"router"}})
	awstest.WantAPIError[*types.ClusterNotFoundException](t, err, "staging")
}
