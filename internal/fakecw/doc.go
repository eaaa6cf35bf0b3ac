// Package fakecw is an in-process fake of Amazon CloudWatch's metric API, served over real HTTP so that
// tests exercise the unmodified aws-sdk-go-v2 CloudWatch client end to end: endpoint resolution, SigV4
// signing, request compression, retries and error decoding.
//
// It speaks what the SDK in go.mod sends for every operation: Smithy RPC v2 CBOR (POST
// /service/GraniteServiceVersion20100801/operation/<Op>, header smithy-protocol: rpc-v2-cbor, CBOR bodies,
// timestamps as CBOR tag 1 epoch seconds). CloudWatch is awsQuery-compatible, so errors carry both the
// modelled shape in the body's __type (so errors.As to *types.InvalidParameterValueException works) and
// the legacy query code in the X-Amzn-Query-Error header (so ErrorCode() reads "InvalidParameterValue",
// as with the real service).
//
// Two operations are implemented:
//
//   - PutMetricData validates like CloudWatch (namespace, ≤1000 datums, ≤30 dimensions, one of
//     Value / Values+Counts / StatisticValues, finite values, units, storage resolution, timestamps at most
//     two weeks old and two hours ahead) and stores every accepted datum.
//   - GetMetricData answers MetricStat queries (Average, Sum, Minimum, Maximum, SampleCount) by
//     aggregating stored datums and seeded series into Period buckets, with ScanBy ordering and
//     MaxDatapoints/NextToken pagination. Metric math expressions and percentile statistics are rejected
//     with an error that says so.
//
// Everything else answers UnknownOperationException. Tests reach the fake through o.BaseEndpoint or
// AWS_ENDPOINT_URL_CLOUDWATCH, inspect what arrived with Datums and Calls, seed history with AddSeries and
// stage trouble with FailNext (a CloudWatch error's shape name or query code; unknown codes are sent
// verbatim), SetThrottle, SetLatency, SetOpLatency and ClearFaults, the plumbing every fake shares
// (internal/awsfake).
package fakecw
