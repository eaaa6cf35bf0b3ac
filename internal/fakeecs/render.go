package fakeecs

import (
	"strings"
	"time"

	"github.com/fastscaler/fastscaler/internal/awsfake"
)

// taskJSON renders a task as DescribeTasks returns it at now.
func (s *Server) taskJSON(t *task, now time.Time, withTags bool) taskJSON {
	svc, c := t.svc, t.svc.cluster
	last := t.lastStatus(now)

	// The ENI is created while the task is PROVISIONING and gets its address when it attaches; until then
	// (and for a task stopped before that) the attachment shows only the subnet, as on Fargate.
	attached := last != StatusProvisioning && t.attached(now)
	eni := attachmentJSON{
		ID:      t.attachmentID,
		Type:    "ElasticNetworkInterface",
		Status:  "ATTACHED",
		Details: []keyValueJSON{{Name: "subnetId", Value: t.subnetID}},
	}
	switch {
	case last == StatusStopped:
		eni.Status = "DELETED"
	case !attached:
		eni.Status = "PRECREATED"
	case last == StatusDeprovisioning:
		eni.Status = "DETACHING"
	}
	nics := []networkInterfaceJSON{}
	if attached {
		eni.Details = append(eni.Details,
			keyValueJSON{Name: "networkInterfaceId", Value: t.eniID},
			keyValueJSON{Name: "macAddress", Value: t.mac})
		if t.ipv4 != "" {
			eni.Details = append(eni.Details,
				keyValueJSON{Name: "privateDnsName", Value: s.privateDNSName(t.ipv4)},
				keyValueJSON{Name: "privateIPv4Address", Value: t.ipv4})
		}
		if t.ipv6 != "" {
			eni.Details = append(eni.Details, keyValueJSON{Name: "ipv6Address", Value: t.ipv6})
		}
		nics = []networkInterfaceJSON{{AttachmentID: t.attachmentID, PrivateIpv4Address: t.ipv4, Ipv6Address: t.ipv6}}
	}

	containerStatus := StatusRunning
	switch {
	case isPendingStatus(last):
		containerStatus = StatusPending
	case last == StatusStopped || last == StatusDeprovisioning:
		containerStatus = StatusStopped
	}
	ctr := containerJSON{
		ContainerArn:      s.arn("container/" + c.name + "/" + t.id + "/" + t.containerID),
		TaskArn:           t.arn,
		Name:              svc.name,
		Image:             svc.name + ":latest",
		LastStatus:        containerStatus,
		NetworkBindings:   []struct{}{},
		NetworkInterfaces: nics,
		HealthStatus:      "UNKNOWN",
		CPU:               "0",
	}
	if t.started(now) {
		ctr.RuntimeID = t.id + "-0527074092"
	}
	if containerStatus == StatusStopped && t.exitCode != nil {
		code := *t.exitCode
		ctr.ExitCode = &code
	}

	out := taskJSON{
		Attachments:       []attachmentJSON{eni},
		AvailabilityZone:  t.az,
		ClusterArn:        c.arn,
		Containers:        []containerJSON{ctr},
		CPU:               taskCPU,
		CreatedAt:         awsfake.Epoch(t.createdAt),
		DesiredStatus:     t.desiredStatus(),
		EphemeralStorage:  &ephemeralStorageJSON{SizeInGiB: 20},
		Group:             "service:" + svc.name,
		HealthStatus:      "UNKNOWN",
		LastStatus:        last,
		LaunchType:        "FARGATE",
		Memory:            taskMemory,
		PlatformVersion:   fargatePlatform,
		PlatformFamily:    "Linux",
		StartedBy:         svc.deploymentID,
		TaskArn:           t.arn,
		TaskDefinitionArn: svc.taskDef,
		Version:           1,
	}
	if t.attached(now) {
		out.Connectivity, out.ConnectivityAt = "CONNECTED", at(t.pendingAt)
		out.PullStartedAt = at(t.pendingAt)
		out.Version++
	}
	if t.started(now) {
		out.PullStoppedAt, out.StartedAt = at(t.runningAt), at(t.runningAt)
		out.Version++
	}
	if t.stopping {
		out.StoppingAt, out.StopCode, out.StoppedReason = at(t.stoppingAt), t.stopCode, t.stopReason
		out.Version++
		if last == StatusStopped {
			out.ExecutionStoppedAt, out.StoppedAt = at(t.stoppedAt), at(t.stoppedAt)
			out.Connectivity = "DISCONNECTED"
			out.Version++
		}
	}
	if withTags {
		tags := []tagJSON{} // tasks carry no tags: the fake's services do not propagate theirs
		out.Tags = &tags
	}
	return out
}

// privateDNSName is the EC2 internal host name of an IPv4 address in this region.
func (s *Server) privateDNSName(ipv4 string) string {
	host := "ip-" + strings.ReplaceAll(ipv4, ".", "-")
	if s.opts.Region == "us-east-1" {
		return host + ".ec2.internal"
	}
	return host + "." + s.opts.Region + ".compute.internal"
}

func (s *Server) networkConfiguration(svc *service) networkConfigurationJSON {
	var subnets []string
	for _, az := range "abc" {
		subnets = append(subnets, "subnet-"+awsfake.HexID("subnet", s.opts.Region+string(az), 17))
	}
	return networkConfigurationJSON{AwsvpcConfiguration: awsVpcConfigurationJSON{
		Subnets:        subnets,
		SecurityGroups: []string{"sg-" + awsfake.HexID("sg", svc.arn, 17)},
		AssignPublicIP: "DISABLED",
	}}
}

// serviceJSON renders a service as DescribeServices and UpdateService return it at now.
func (s *Server) serviceJSON(svc *service, now time.Time, withTags bool) serviceJSON {
	running, pending := svc.counts(now)
	netConf := s.networkConfiguration(svc)
	out := serviceJSON{
		ServiceArn:        svc.arn,
		ServiceName:       svc.name,
		ClusterArn:        svc.cluster.arn,
		LoadBalancers:     []struct{}{},
		ServiceRegistries: []struct{}{},
		Status:            svc.status(),
		DesiredCount:      svc.desired,
		RunningCount:      running,
		PendingCount:      pending,
		LaunchType:        "FARGATE",
		PlatformVersion:   "LATEST",
		PlatformFamily:    "Linux",
		TaskDefinition:    svc.taskDef,
		DeploymentConfiguration: deploymentConfigurationJSON{
			MaximumPercent:        200,
			MinimumHealthyPercent: 100,
		},
		// Scaling does not start a deployment in ECS: the one PRIMARY deployment just follows the counts.
		Deployments: []deploymentJSON{{
			ID:                   svc.deploymentID,
			Status:               "PRIMARY",
			TaskDefinition:       svc.taskDef,
			DesiredCount:         svc.desired,
			PendingCount:         pending,
			RunningCount:         running,
			CreatedAt:            awsfake.Epoch(svc.createdAt),
			UpdatedAt:            awsfake.Epoch(svc.updatedAt),
			LaunchType:           "FARGATE",
			PlatformVersion:      fargatePlatform,
			PlatformFamily:       "Linux",
			NetworkConfiguration: netConf,
			RolloutState:         "COMPLETED",
			RolloutStateReason:   "ECS deployment " + svc.deploymentID + " completed.",
		}},
		Events:               []struct{}{},
		CreatedAt:            awsfake.Epoch(svc.createdAt),
		PlacementConstraints: []struct{}{},
		PlacementStrategy:    []struct{}{},
		NetworkConfiguration: netConf,
		SchedulingStrategy:   "REPLICA",
		DeploymentController: deploymentControllerJSON{Type: "ECS"},
		CreatedBy:            "arn:" + awsfake.PartitionOf(s.opts.Region) + ":iam::" + s.opts.Account + ":role/fakeecs",
		PropagateTags:        "NONE",
	}
	if withTags {
		tags := tagList(svc.tags)
		out.Tags = &tags
	}
	return out
}
