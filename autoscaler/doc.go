// Package autoscaler is fastscaler's control loop and its AWS I/O: it discovers the router tasks in ECS, polls
// their stub_status every interval, asks policy.Decide what to do, applies the decision with ECS UpdateService,
// keeps durable state in ECS service tags, publishes metrics to CloudWatch and serves /healthz and /status.
//
// Deciding and applying are separate: the policy package decides from values; this package only gathers the
// values and applies the result through the seam (Cloud, Scaling, Routers), which the SDK adapters (ECS, AAS)
// implement.
package autoscaler
