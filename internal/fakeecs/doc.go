// Package fakeecs is a stateful fake of the Amazon ECS API for tests. It speaks ECS's awsJson1_1 protocol
// over HTTP, so the real aws-sdk-go-v2 ECS client talks to it unchanged (o.BaseEndpoint or
// AWS_ENDPOINT_URL_ECS), and it simulates Fargate services whose tasks start and stop on an injected clock.
//
// It implements ListTasks, DescribeTasks, DescribeServices, UpdateService, TagResource, UntagResource and
// ListTagsForResource with ECS's field names, types, limits and error codes; any other operation gets
// UnknownOperationException. Requests must carry a SigV4 Authorization header scoped to the fake's region
// (the signature itself is not checked), to catch clients built without credentials or for another region.
//
// Task lifecycle, evaluated lazily against Options.Now on every request, so a test that steps its clock sees
// tasks progress without the fake running timers:
//
//	scale-out:  PROVISIONING --StartDelay/2--> PENDING --StartDelay/2--> RUNNING
//	            (the ENI has no address while PROVISIONING, as on Fargate)
//	scale-in:   desiredStatus STOPPED at once; lastStatus DEACTIVATING (DEPROVISIONING if it never ran)
//	            --StopDelay--> STOPPED; the newest tasks are stopped first
//	crash:      StopTask: STOPPED at once, and the scheduler starts a replacement
//
// Counts follow the ECS definitions: runningCount is the number of tasks whose lastStatus is RUNNING, and
// pendingCount the number still starting (PROVISIONING, PENDING, ACTIVATING). A task chosen for scale-in
// leaves RUNNING for DEACTIVATING at once, so it leaves runningCount at once even though it serves traffic
// until it has drained; ListTasks with desiredStatus RUNNING (the default) stops listing it at once too.
// Stopped tasks stay visible to DescribeTasks and ListTasks(desiredStatus STOPPED) for an hour, like ECS.
//
// Tests stage trouble with FailNext (the next calls of an operation fail), SetThrottle (a fraction of its
// calls get ECS's ThrottlingException "Rate exceeded"), SetLatency and SetOpLatency (slow responses) and
// ClearFaults, the plumbing every fake shares (internal/awsfake), and DeleteService: the service turns INACTIVE, as after ECS's DeleteService with force, so DescribeServices
// still reports it, UpdateService fails with ServiceNotActiveException, the tag operations with
// InvalidParameterException, and AddService may re-create it.
package fakeecs
