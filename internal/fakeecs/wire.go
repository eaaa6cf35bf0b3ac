package fakeecs

import (
	"time"

	"github.com/fastscaler/fastscaler/internal/awsfake"
)

// This file holds the JSON shapes of the awsJson1_1 wire format, named and typed as in the ECS API model
// (aws-sdk-go-v2/service/ecs/schemas). Integers are JSON numbers, cpu/memory are strings, timestamps are
// epoch seconds as JSON numbers, exactly as ECS sends them; the SDK's deserializer rejects anything else.

// at returns a pointer for an optional timestamp field, nil when t is zero.
func at(t time.Time) *awsfake.Epoch {
	if t.IsZero() {
		return nil
	}
	e := awsfake.Epoch(t)
	return &e
}

type tagJSON struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

type failureJSON struct {
	Arn    string `json:"arn"`
	Reason string `json:"reason"`
	Detail string `json:"detail,omitempty"`
}

type keyValueJSON struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type attachmentJSON struct {
	ID      string         `json:"id"`
	Type    string         `json:"type"`
	Status  string         `json:"status"`
	Details []keyValueJSON `json:"details"`
}

type networkInterfaceJSON struct {
	AttachmentID       string `json:"attachmentId"`
	PrivateIpv4Address string `json:"privateIpv4Address,omitempty"`
	Ipv6Address        string `json:"ipv6Address,omitempty"`
}

type containerJSON struct {
	ContainerArn      string                 `json:"containerArn"`
	TaskArn           string                 `json:"taskArn"`
	Name              string                 `json:"name"`
	Image             string                 `json:"image"`
	RuntimeID         string                 `json:"runtimeId,omitempty"`
	LastStatus        string                 `json:"lastStatus"`
	ExitCode          *int                   `json:"exitCode,omitempty"`
	Reason            string                 `json:"reason,omitempty"`
	NetworkBindings   []struct{}             `json:"networkBindings"`
	NetworkInterfaces []networkInterfaceJSON `json:"networkInterfaces"`
	HealthStatus      string                 `json:"healthStatus"`
	CPU               string                 `json:"cpu"`
}

type ephemeralStorageJSON struct {
	SizeInGiB int `json:"sizeInGiB"`
}

type taskJSON struct {
	Attachments          []attachmentJSON      `json:"attachments"`
	AvailabilityZone     string                `json:"availabilityZone"`
	ClusterArn           string                `json:"clusterArn"`
	Connectivity         string                `json:"connectivity,omitempty"`
	ConnectivityAt       *awsfake.Epoch        `json:"connectivityAt,omitempty"`
	Containers           []containerJSON       `json:"containers"`
	CPU                  string                `json:"cpu"`
	CreatedAt            awsfake.Epoch         `json:"createdAt"`
	DesiredStatus        string                `json:"desiredStatus"`
	EnableExecuteCommand bool                  `json:"enableExecuteCommand"`
	EphemeralStorage     *ephemeralStorageJSON `json:"ephemeralStorage"`
	ExecutionStoppedAt   *awsfake.Epoch        `json:"executionStoppedAt,omitempty"`
	Group                string                `json:"group"`
	HealthStatus         string                `json:"healthStatus"`
	LastStatus           string                `json:"lastStatus"`
	LaunchType           string                `json:"launchType"`
	Memory               string                `json:"memory"`
	PlatformVersion      string                `json:"platformVersion"`
	PlatformFamily       string                `json:"platformFamily"`
	PullStartedAt        *awsfake.Epoch        `json:"pullStartedAt,omitempty"`
	PullStoppedAt        *awsfake.Epoch        `json:"pullStoppedAt,omitempty"`
	StartedAt            *awsfake.Epoch        `json:"startedAt,omitempty"`
	StartedBy            string                `json:"startedBy"`
	StopCode             string                `json:"stopCode,omitempty"`
	StoppedAt            *awsfake.Epoch        `json:"stoppedAt,omitempty"`
	StoppedReason        string                `json:"stoppedReason,omitempty"`
	StoppingAt           *awsfake.Epoch        `json:"stoppingAt,omitempty"`
	Tags                 *[]tagJSON            `json:"tags,omitempty"`
	TaskArn              string                `json:"taskArn"`
	TaskDefinitionArn    string                `json:"taskDefinitionArn"`
	Version              int64                 `json:"version"`
}

type awsVpcConfigurationJSON struct {
	Subnets        []string `json:"subnets"`
	SecurityGroups []string `json:"securityGroups"`
	AssignPublicIP string   `json:"assignPublicIp"`
}

type networkConfigurationJSON struct {
	AwsvpcConfiguration awsVpcConfigurationJSON `json:"awsvpcConfiguration"`
}

type circuitBreakerJSON struct {
	Enable   bool `json:"enable"`
	Rollback bool `json:"rollback"`
}

type deploymentConfigurationJSON struct {
	DeploymentCircuitBreaker circuitBreakerJSON `json:"deploymentCircuitBreaker"`
	MaximumPercent           int                `json:"maximumPercent"`
	MinimumHealthyPercent    int                `json:"minimumHealthyPercent"`
}

type deploymentJSON struct {
	ID                   string                   `json:"id"`
	Status               string                   `json:"status"`
	CreatedAt            awsfake.Epoch            `json:"createdAt"`
	UpdatedAt            awsfake.Epoch            `json:"updatedAt"`
	TaskDefinition       string                   `json:"taskDefinition"`
	DesiredCount         int                      `json:"desiredCount"`
	PendingCount         int                      `json:"pendingCount"`
	RunningCount         int                      `json:"runningCount"`
	FailedTasks          int                      `json:"failedTasks"`
	LaunchType           string                   `json:"launchType"`
	PlatformVersion      string                   `json:"platformVersion"`
	PlatformFamily       string                   `json:"platformFamily"`
	NetworkConfiguration networkConfigurationJSON `json:"networkConfiguration"`
	RolloutState         string                   `json:"rolloutState"`
	RolloutStateReason   string                   `json:"rolloutStateReason"`
}

type deploymentControllerJSON struct {
	Type string `json:"type"`
}

type serviceJSON struct {
	ServiceArn              string                      `json:"serviceArn"`
	ServiceName             string                      `json:"serviceName"`
	ClusterArn              string                      `json:"clusterArn"`
	LoadBalancers           []struct{}                  `json:"loadBalancers"`
	ServiceRegistries       []struct{}                  `json:"serviceRegistries"`
	Status                  string                      `json:"status"`
	DesiredCount            int                         `json:"desiredCount"`
	RunningCount            int                         `json:"runningCount"`
	PendingCount            int                         `json:"pendingCount"`
	LaunchType              string                      `json:"launchType"`
	PlatformVersion         string                      `json:"platformVersion"`
	PlatformFamily          string                      `json:"platformFamily"`
	TaskDefinition          string                      `json:"taskDefinition"`
	DeploymentConfiguration deploymentConfigurationJSON `json:"deploymentConfiguration"`
	Deployments             []deploymentJSON            `json:"deployments"`
	Events                  []struct{}                  `json:"events"`
	CreatedAt               awsfake.Epoch               `json:"createdAt"`
	PlacementConstraints    []struct{}                  `json:"placementConstraints"`
	PlacementStrategy       []struct{}                  `json:"placementStrategy"`
	NetworkConfiguration    networkConfigurationJSON    `json:"networkConfiguration"`
	SchedulingStrategy      string                      `json:"schedulingStrategy"`
	DeploymentController    deploymentControllerJSON    `json:"deploymentController"`
	Tags                    *[]tagJSON                  `json:"tags,omitempty"`
	CreatedBy               string                      `json:"createdBy"`
	EnableECSManagedTags    bool                        `json:"enableECSManagedTags"`
	PropagateTags           string                      `json:"propagateTags"`
	EnableExecuteCommand    bool                        `json:"enableExecuteCommand"`
}
