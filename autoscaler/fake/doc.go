// Package fake holds in-memory fakes of the daemon's seam (autoscaler.Cloud, autoscaler.Scaling,
// autoscaler.Routers) for the daemon's unit tests, in the manner of karpenter's fake cloud provider: stateful,
// recording every call, with queued or standing errors per operation and gates that hold a call until released,
// so a test can make ECS slow, throttled or half-broken without a network or a wall clock. The wire-level fakes
// (internal/fakeecs, internal/fakeaas) stay for the adapters' contract tests and the end-to-end tests.
package fake
