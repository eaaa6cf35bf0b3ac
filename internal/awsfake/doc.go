// Package awsfake is the wire plumbing the AWS fakes (fakeecs, fakeaas, fakecw) share, so that each fake
// holds only its service's model and protocol details:
//
//   - Core: the lifecycle on 127.0.0.1 (Start, Close), the faults a test stages (FailNext, SetThrottle,
//     SetLatency, SetOpLatency, ClearFaults) and the log of the calls answered (Calls), the same in every
//     fake; the fake's handler reaches them through the Wire that New returns with the Core;
//   - CheckAuthorization: the SigV4 credential scope check that catches a client built without credentials
//     or for the wrong region or service (the signature itself is not verified);
//   - JSON: the awsJson1_1 envelope (X-Amz-Target, Content-Type, body limit, error shape, request IDs) over a
//     Registry of operations (Ops builds it from the request types), which ECS and Application Auto Scaling
//     speak; every call log entry embeds a Head (operation, time, error code) that the envelope fills in;
//   - small shared pieces: Error, Epoch, stable IDs, pagination cursors, PartitionOf, Truncate, and DeepCopy,
//     which makes the copies of call logs and stored data a fake hands out.
//
// A fake embeds the *Core (or the *JSON, which embeds it), so that these methods are the fake's own.
package awsfake
