// Package sim replays a traffic curve against simulated Fargate services, scaled by fastscaler's real policy (fed
// through the real nginxstat rate code from synthesised stub_status counters) and, on the very same traffic and
// simulated fleet, by baselines modelled from AWS's and the anchor's documented behaviour: target tracking on 1-minute
// and on 20-second CPU, step scaling, pahud's fast autoscaler, a static fleet, and a lead-time oracle that knows the
// future (the cost floor). Every world launches its tasks through Fargate's launch rate limit, synthesises what a
// saturated router's stub_status shows, and can restart the fastscaler daemon mid-trace.
package sim
