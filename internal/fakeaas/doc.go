// Package fakeaas is a stateful fake of the Application Auto Scaling API for ECS services, for tests. It
// speaks AAS's awsJson1_1 protocol (X-Amz-Target AnyScaleFrontendService.<Op>) over HTTP, so the real
// aws-sdk-go-v2 applicationautoscaling client talks to it unchanged (o.BaseEndpoint or
// AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING).
//
// It implements DescribeScalableTargets, RegisterScalableTarget, DeregisterScalableTarget, PutScalingPolicy
// and DescribeScalingPolicies with AAS's member names, types, limits, pagination and error codes, for one
// kind of scalable target: ServiceNamespace "ecs", ScalableDimension "ecs:service:DesiredCount", ResourceId
// "service/CLUSTER/SERVICE". Other namespaces, dimensions and policy types (step scaling, predictive
// scaling, customized metrics) get a ValidationException that says so; other operations get
// UnknownOperationException. Requests must carry a SigV4 Authorization header scoped to the fake's region
// and to application-autoscaling (the signature itself is not checked).
//
// The fake reaches the ECS service behind a target only through two hooks in Options, which a test wires
// to an ECS fake: Desired reads a service's desired count and SetDesired sets it. Through them,
// RegisterScalableTarget moves the desired count into a new [MinCapacity, MaxCapacity] range at once, as
// AAS does, and Evaluate plays AAS's target tracking: it applies the stored policy once, as when its alarm
// fires, with the cooldowns on Options.Now. Together they reproduce the fight between AAS and an
// autoscaler that calls UpdateService directly: AAS scales in to its own number, cutting what the other
// added, unless the other raised MinCapacity first.
//
// Tests seed targets with AddTarget, inspect them with Target and Calls, stage trouble with FailNext,
// SetThrottle, SetLatency, SetOpLatency and ClearFaults (the plumbing every fake shares, internal/awsfake),
// and map a resource ID to its cluster and service with SplitResourceID when wiring the hooks. Evaluate runs
// internal/tracking, the target tracking model the simulator's AWS baselines run too.
package fakeaas
