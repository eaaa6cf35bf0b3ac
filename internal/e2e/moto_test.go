package e2e

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/applicationautoscaling"
	aastypes "github.com/aws/aws-sdk-go-v2/service/applicationautoscaling/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/fastscaler/fastscaler/autoscaler"
	"github.com/fastscaler/fastscaler/autoscaler/durable"
	"github.com/fastscaler/fastscaler/internal/awstest"
	"github.com/fastscaler/fastscaler/internal/mototest"
)

// TestMotoCompatibility runs fastscaler's ECS calls against moto 5 (an independent AWS emulator; mototest.Start
// skips without it) as a second opinion on the in-repo fake. moto's Fargate RunTask is broken (it crashes on the
// ENI's private DNS name), so its services have no tasks: discovery is checked for an empty, error-free answer.
func TestMotoCompatibility(t *testing.T) {
	endpoint := mototest.Start(t)
	ctx := context.Background()
	client := ecs.NewFromConfig(awstest.Config(endpoint))
	subnet, sg := motoNetwork(t, endpoint)
	if _, err := client.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("prod")}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("app"), NetworkMode: types.NetworkModeAwsvpc, Cpu: aws.String("256"), Memory: aws.String("512"),
		RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate},
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("nginx"),
			Essential: aws.Bool(true), Cpu: 256, Memory: aws.Int32(512)}},
	}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"router", "api"} {
		if _, err := client.CreateService(ctx, &ecs.CreateServiceInput{
			Cluster: aws.String("prod"), ServiceName: aws.String(name), TaskDefinition: aws.String("app"),
			DesiredCount: aws.Int32(2), LaunchType: types.LaunchTypeFargate,
			NetworkConfiguration: &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{
				Subnets: []string{subnet}, SecurityGroups: []string{sg}}},
			Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("streaming")}},
		}); err != nil {
			t.Fatalf("creating service %s in moto: %v", name, err)
		}
	}

	e := autoscaler.NewECS(client, "prod", 100)
	now := time.Now()
	got, err := e.DescribeServices(ctx, []string{"router", "api"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if got["api"].Desired != 2 || got["api"].Tags["team"] != "streaming" || !strings.HasSuffix(got["api"].ARN, "service/prod/api") {
		t.Fatalf("DescribeServices via moto = %+v", got["api"])
	}
	if _, err := e.SetDesired(ctx, "api", 7); err != nil {
		t.Fatal(err)
	}
	if err := durable.SetFloor(12, now.Add(time.Hour), "final, episode 12 (big)").Apply(ctx, e, got["api"].ARN); err != nil {
		t.Fatal(err)
	}
	got, err = e.DescribeServices(ctx, []string{"api"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if d := got["api"]; d.Desired != 7 || d.Durable.FloorCount != 12 || len(d.TagErrors) != 0 || d.Durable.FloorReason != "final episode 12 big" {
		t.Fatalf("after update and tags via moto: %+v", d)
	}
	if err := durable.RemoveFloor().Apply(ctx, e, got["api"].ARN); err != nil {
		t.Fatal(err)
	}
	got, _ = e.DescribeServices(ctx, []string{"api"}, now)
	if got["api"].Durable.FloorCount != 0 || got["api"].Tags["team"] != "streaming" {
		t.Fatalf("after untag via moto: %+v", got["api"])
	}
	targets, _, err := e.DiscoverTasks(ctx, "router", 8081)
	if err != nil || len(targets) != 0 {
		t.Fatalf("DiscoverTasks via moto = %v, %v; want none (moto runs no Fargate tasks)", targets, err)
	}
	if _, err := e.DescribeServices(ctx, []string{"ghost"}, now); !errors.Is(err, autoscaler.ErrServiceNotFound) {
		t.Fatalf("DescribeServices(ghost) via moto = %v, want ErrServiceNotFound", err)
	}

	// AAS mode's calls: find the scalable target of api (and none for router), move its MinCapacity up and back.
	aasClient := applicationautoscaling.NewFromConfig(awstest.Config(endpoint))
	if _, err := aasClient.RegisterScalableTarget(ctx, &applicationautoscaling.RegisterScalableTargetInput{
		ServiceNamespace: aastypes.ServiceNamespaceEcs, ScalableDimension: aastypes.ScalableDimensionECSServiceDesiredCount,
		ResourceId: aws.String("service/prod/api"), MinCapacity: aws.Int32(2), MaxCapacity: aws.Int32(30),
	}); err != nil {
		t.Fatalf("registering api's scalable target in moto: %v", err)
	}
	a := autoscaler.NewAAS(aasClient, "prod", 100)
	scalable, err := a.Targets(ctx, []string{"router", "api"})
	if err != nil || len(scalable) != 1 || scalable["api"] != (autoscaler.ScalableTarget{Min: 2, Max: 30}) {
		t.Fatalf("AAS Targets via moto = %v, %v; want api 2..30 only", scalable, err)
	}
	raised, err := a.MoveMin(ctx, e, got["api"], 12)
	if err != nil || raised.Target.Min != 12 {
		t.Fatalf("MoveMin up via moto = %+v, %v", raised, err)
	}
	if scalable, _ = a.Targets(ctx, []string{"api"}); scalable["api"] != (autoscaler.ScalableTarget{Min: 12, Max: 30}) {
		t.Fatalf("after the raise moto has %+v, want MinCapacity 12", scalable["api"])
	}
	got, _ = e.DescribeServices(ctx, []string{"api"}, now)
	if autoscaler.OwnerMin(scalable["api"], got["api"]) != 2 {
		t.Fatalf("owner's MinCapacity read back from moto's tags %v: want 2", got["api"].Tags)
	}
	if back, err := a.MoveMin(ctx, e, got["api"], 1); err != nil || back.Target.Min != 2 {
		t.Fatalf("MoveMin back via moto = %+v, %v; want the owner's 2", back, err)
	}
	got, _ = e.DescribeServices(ctx, []string{"api"}, now)
	if got["api"].Durable.AAS.Present {
		t.Fatalf("tags after MinCapacity went back to the owner's: %v", got["api"].Tags)
	}
}

// motoNetwork creates a VPC, subnet and security group in moto through EC2's query API (moto checks neither
// signatures nor credentials, and the project has no EC2 SDK dependency).
func motoNetwork(t *testing.T, endpoint string) (subnet, sg string) {
	t.Helper()
	call := func(values url.Values, field string) string {
		values.Set("Version", "2016-11-15")
		req, _ := http.NewRequest(http.MethodPost, endpoint+"/", strings.NewReader(values.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=0")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		m := regexp.MustCompile("<" + field + ">([^<]+)<").FindSubmatch(b)
		if m == nil {
			t.Fatalf("moto EC2 %s: no %s in %s", values.Get("Action"), field, b)
		}
		return string(m[1])
	}
	vpc := call(url.Values{"Action": {"CreateVpc"}, "CidrBlock": {"10.0.0.0/16"}}, "vpcId")
	subnet = call(url.Values{"Action": {"CreateSubnet"}, "VpcId": {vpc}, "CidrBlock": {"10.0.1.0/24"}}, "subnetId")
	sg = call(url.Values{"Action": {"CreateSecurityGroup"}, "GroupName": {"router"}, "GroupDescription": {"router"}, "VpcId": {vpc}}, "groupId")
	return subnet, sg
}
