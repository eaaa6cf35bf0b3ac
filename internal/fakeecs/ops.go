package fakeecs

import (
	"cmp"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/fastscaler/fastscaler/internal/awsfake"
)

// operations are the operations the fake implements, each named after its request type (awsfake.Ops).
var operations = awsfake.Ops[*Server, Call](new(listTasksRequest), new(describeTasksRequest), new(describeServicesRequest),
	new(updateServiceRequest), new(tagResourceRequest), new(untagResourceRequest), new(listTagsForResourceRequest))

// ---- ListTasks

type listTasksRequest struct {
	Cluster           string `json:"cluster"`
	ContainerInstance string `json:"containerInstance"`
	Family            string `json:"family"`
	NextToken         string `json:"nextToken"`
	MaxResults        *int   `json:"maxResults"`
	StartedBy         string `json:"startedBy"`
	ServiceName       string `json:"serviceName"`
	DesiredStatus     string `json:"desiredStatus"`
	LaunchType        string `json:"launchType"`
}

type listTasksResponse struct {
	TaskArns  []string `json:"taskArns"`
	NextToken string   `json:"nextToken,omitempty"`
}

func (in *listTasksRequest) Record(c *Call) {
	c.Cluster, c.Service, c.DesiredStatus = in.Cluster, in.ServiceName, in.DesiredStatus
}

func (in *listTasksRequest) Run(s *Server, now time.Time, _ *Call) (any, error) {
	c, err := s.lookupCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	// ECS lists tasks whose desiredStatus matches, RUNNING by default; it never sets a desiredStatus of
	// PENDING, so that filter is valid but always empty.
	want := in.DesiredStatus
	switch want {
	case "":
		want = StatusRunning
	case StatusRunning, StatusPending, StatusStopped:
	default:
		return nil, invalidParameter("desiredStatus %q is not one of RUNNING, PENDING, STOPPED", in.DesiredStatus)
	}
	pageSize := s.opts.PageSize
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > maxPageSize {
			return nil, invalidParameter("maxResults %d is outside 1..%d", *in.MaxResults, maxPageSize)
		}
		pageSize = *in.MaxResults
	}
	switch in.LaunchType {
	case "", "FARGATE", "EC2", "EXTERNAL", "MANAGED_INSTANCES":
	default:
		return nil, invalidParameter("launchType %q is not one of EC2, FARGATE, EXTERNAL, MANAGED_INSTANCES", in.LaunchType)
	}
	if in.ContainerInstance != "" {
		return nil, invalidParameter("container instance %q not found: this fake runs Fargate tasks only", in.ContainerInstance)
	}
	after, err := decodeToken(in.NextToken)
	if err != nil {
		return nil, err
	}

	var candidates []*task
	if in.ServiceName != "" {
		// An INACTIVE (deleted) service still resolves, as in DescribeServices: ECS keeps answering for it and
		// its tasks, so it lists none RUNNING and its stopped ones (for the hour ECS keeps them) under STOPPED.
		// ServiceNotFoundException is for a name ECS has no record of.
		svc, ok := c.lookupService(in.ServiceName)
		if !ok {
			return nil, serviceNotFound(c, in.ServiceName)
		}
		candidates = svc.tasks
	} else {
		for _, t := range c.tasks {
			candidates = append(candidates, t)
		}
		slices.SortFunc(candidates, func(a, b *task) int { return cmp.Compare(a.seq, b.seq) })
	}
	matching := slices.DeleteFunc(slices.Clone(candidates), func(t *task) bool {
		return t.desiredStatus() != want ||
			(in.Family != "" && in.Family != t.svc.name) ||
			(in.StartedBy != "" && in.StartedBy != t.svc.deploymentID) ||
			(in.LaunchType != "" && in.LaunchType != "FARGATE")
	})
	page, next := awsfake.Page(matching, after, pageSize, func(t *task) uint64 { return t.seq })
	out := listTasksResponse{TaskArns: []string{}}
	for _, t := range page {
		out.TaskArns = append(out.TaskArns, t.arn)
	}
	if next != 0 {
		out.NextToken = encodeToken(next)
	}
	return out, nil
}

// A nextToken is an opaque cursor (awsfake.EncodeCursor): the seq of the last task listed.
const tokenPrefix = "fakeecs-v1:"

func encodeToken(seq uint64) string { return awsfake.EncodeCursor(tokenPrefix, seq) }

func decodeToken(tok string) (uint64, error) {
	if seq, ok := awsfake.DecodeCursor(tokenPrefix, tok); ok {
		return seq, nil
	}
	return 0, invalidParameter("nextToken %q was not returned by a ListTasks call of this fake", awsfake.Truncate(tok, 40))
}

// ---- DescribeTasks, DescribeServices: one operation on two kinds of resource (describe)

type describeTasksRequest struct {
	Cluster string   `json:"cluster"`
	Tasks   []string `json:"tasks"`
	Include []string `json:"include"`
}

type describeServicesRequest struct {
	Cluster  string   `json:"cluster"`
	Services []string `json:"services"`
	Include  []string `json:"include"`
}

type describeTasksResponse struct {
	Tasks    []taskJSON    `json:"tasks"`
	Failures []failureJSON `json:"failures"`
}

type describeServicesResponse struct {
	Services []serviceJSON `json:"services"`
	Failures []failureJSON `json:"failures"`
}

func (in *describeTasksRequest) Record(c *Call) {
	c.Cluster, c.Tasks = in.Cluster, slices.Clone(in.Tasks)
}

func (in *describeTasksRequest) Run(s *Server, now time.Time, _ *Call) (any, error) {
	return describeTasks.run(s, in.Cluster, in.Tasks, in.Include, now)
}

func (in *describeServicesRequest) Record(c *Call) {
	c.Cluster, c.Services = in.Cluster, slices.Clone(in.Services)
}

func (in *describeServicesRequest) Run(s *Server, now time.Time, _ *Call) (any, error) {
	return describeServices.run(s, in.Cluster, in.Services, in.Include, now)
}

// ECS's limits of tasks per DescribeTasks call and of services per DescribeServices call.
const (
	maxDescribeTasks    = 100
	maxDescribeServices = 10
)

// describeTasks and describeServices describe the resources a DescribeTasks or DescribeServices call names.
var (
	describeTasks = describe[*task, taskJSON]{
		op: "DescribeTasks", member: "tasks", resource: "task", limit: maxDescribeTasks,
		lookup: (*cluster).lookupTask, key: func(t *task) string { return t.id }, render: (*Server).taskJSON,
		respond: func(tasks []taskJSON, failures []failureJSON) any {
			return describeTasksResponse{Tasks: tasks, Failures: failures}
		},
	}
	describeServices = describe[*service, serviceJSON]{
		op: "DescribeServices", member: "services", resource: "service", limit: maxDescribeServices,
		lookup: (*cluster).lookupService, key: func(svc *service) string { return svc.name }, render: (*Server).serviceJSON,
		respond: func(services []serviceJSON, failures []failureJSON) any {
			return describeServicesResponse{Services: services, Failures: failures}
		},
	}
)

// describe is what DescribeTasks and DescribeServices share: the checks of the request, then each resource
// the references name, once however often it is named, and a MISSING failure for each reference that names
// none.
type describe[T, J any] struct {
	op       string // the operation, e.g. "DescribeTasks"
	member   string // the request member that lists the references, e.g. "tasks"
	resource string // the ARN resource type, e.g. "task"
	limit    int    // references per call
	lookup   func(c *cluster, ref string) (T, bool)
	key      func(T) string // what makes two references the same resource
	render   func(s *Server, v T, now time.Time, withTags bool) J
	respond  func(found []J, failures []failureJSON) any // the operation's response
}

func (d describe[T, J]) run(s *Server, clusterRef string, refs, include []string, now time.Time) (any, error) {
	c, err := s.lookupCluster(clusterRef)
	if err != nil {
		return nil, err
	}
	if len(refs) == 0 {
		return nil, invalidParameter("%s%s cannot be empty.", strings.ToUpper(d.member[:1]), d.member[1:])
	}
	if len(refs) > d.limit {
		return nil, invalidParameter("%s names %d %s, %s takes at most %d", d.member, len(refs), d.member, d.op, d.limit)
	}
	withTags, err := includeTags(include)
	if err != nil {
		return nil, err
	}
	found, failures := []J{}, []failureJSON{}
	seen := make(map[string]bool)
	for _, ref := range refs {
		v, ok := d.lookup(c, ref)
		if !ok {
			arn := ref
			if !strings.HasPrefix(ref, "arn:") {
				arn = s.arn(d.resource + "/" + c.name + "/" + ref)
			}
			failures = append(failures, failureJSON{Arn: arn, Reason: "MISSING"})
			continue
		}
		if k := d.key(v); !seen[k] {
			seen[k] = true
			found = append(found, d.render(s, v, now, withTags))
		}
	}
	return d.respond(found, failures), nil
}

func includeTags(include []string) (bool, error) {
	tags := false
	for _, f := range include {
		if f != "TAGS" {
			return false, invalidParameter("include %q is not a valid field, the only one is TAGS", f)
		}
		tags = true
	}
	return tags, nil
}

// ---- UpdateService

type updateServiceRequest struct {
	Cluster      string `json:"cluster"`
	Service      string `json:"service"`
	DesiredCount *int   `json:"desiredCount"`
}

type updateServiceResponse struct {
	Service serviceJSON `json:"service"`
}

func (in *updateServiceRequest) Record(c *Call) {
	c.Cluster, c.Service = in.Cluster, in.Service
	if in.DesiredCount != nil {
		n := *in.DesiredCount
		c.DesiredCount = &n
	}
}

func (in *updateServiceRequest) Run(s *Server, now time.Time, _ *Call) (any, error) {
	c, err := s.lookupCluster(in.Cluster)
	if err != nil {
		return nil, err
	}
	if in.Service == "" {
		return nil, invalidParameter("service is required")
	}
	svc, ok := c.lookupService(in.Service)
	if !ok {
		return nil, serviceNotFound(c, in.Service)
	}
	if svc.inactive {
		return nil, awsfake.ClientError("ServiceNotActiveException", "Service was not ACTIVE.") // ECS's exact message
	}
	if in.DesiredCount != nil {
		n := *in.DesiredCount
		if n < 0 || n > maxDesiredCount {
			return nil, invalidParameter("desiredCount %d for service %s is outside 0..%d (the ECS tasks-per-service quota)",
				n, svc.name, maxDesiredCount)
		}
		prev := svc.desired
		svc.desired = n
		if err := s.reconcile(svc, now); err != nil {
			svc.desired = prev
			return nil, err
		}
	}
	svc.updatedAt = now
	return updateServiceResponse{Service: s.serviceJSON(svc, now, false)}, nil
}

// ---- TagResource, UntagResource, ListTagsForResource

type tagResourceRequest struct {
	ResourceArn string    `json:"resourceArn"`
	Tags        []tagJSON `json:"tags"`
}

type untagResourceRequest struct {
	ResourceArn string   `json:"resourceArn"`
	TagKeys     []string `json:"tagKeys"`
}

type listTagsForResourceRequest struct {
	ResourceArn string `json:"resourceArn"`
}

type listTagsForResourceResponse struct {
	Tags []tagJSON `json:"tags"`
}

func (in *tagResourceRequest) Record(c *Call) {
	c.ResourceARN, c.Service = in.ResourceArn, serviceNameOfARN(in.ResourceArn)
	c.Tags = make(map[string]string, len(in.Tags))
	for _, t := range in.Tags {
		c.Tags[t.Key] = t.Value
	}
	c.TagKeys = slices.Sorted(maps.Keys(c.Tags))
}

func (in *tagResourceRequest) Run(s *Server, now time.Time, _ *Call) (any, error) {
	svc, err := s.taggableWith(in.ResourceArn, "tags", in.Tags != nil)
	if err != nil {
		return nil, err
	}
	merged := maps.Clone(svc.tags)
	seen := make(map[string]bool, len(in.Tags))
	for _, t := range in.Tags {
		if err := validateTag(t.Key, t.Value); err != nil {
			return nil, err
		}
		if seen[t.Key] {
			return nil, invalidParameter("tag key %q appears more than once in the request", t.Key)
		}
		seen[t.Key] = true
		merged[t.Key] = t.Value
	}
	if len(merged) > maxTags {
		return nil, invalidParameter("service %s would have %d tags, a resource can have at most %d", svc.name, len(merged), maxTags)
	}
	svc.tags = merged
	return struct{}{}, nil
}

func (in *untagResourceRequest) Record(c *Call) {
	c.ResourceARN, c.Service, c.TagKeys = in.ResourceArn, serviceNameOfARN(in.ResourceArn), slices.Clone(in.TagKeys)
}

func (in *untagResourceRequest) Run(s *Server, now time.Time, _ *Call) (any, error) {
	svc, err := s.taggableWith(in.ResourceArn, "tagKeys", in.TagKeys != nil)
	if err != nil {
		return nil, err
	}
	for _, k := range in.TagKeys {
		if err := validateTagKey(k); err != nil {
			return nil, err
		}
	}
	for _, k := range in.TagKeys {
		delete(svc.tags, k) // removing a key the resource does not have is not an error in ECS
	}
	return struct{}{}, nil
}

func (in *listTagsForResourceRequest) Record(c *Call) {
	c.ResourceARN, c.Service = in.ResourceArn, serviceNameOfARN(in.ResourceArn)
}

func (in *listTagsForResourceRequest) Run(s *Server, now time.Time, _ *Call) (any, error) {
	svc, err := s.taggable(in.ResourceArn)
	if err != nil {
		return nil, err
	}
	return listTagsForResourceResponse{Tags: tagList(svc.tags)}, nil
}

func tagList(tags map[string]string) []tagJSON {
	out := make([]tagJSON, 0, len(tags))
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		out = append(out, tagJSON{Key: k, Value: tags[k]})
	}
	return out
}

// taggable resolves a tag operation's resourceArn to a service. ECS answers InvalidParameterException for an
// ARN it cannot use (short service ARNs, malformed ARNs), for one naming no resource, and for an inactive
// resource, with the message it gives for an inactive cluster ("The specified cluster is inactive. ...").
func (s *Server) taggable(resourceARN string) (*service, error) {
	if resourceARN == "" {
		return nil, invalidParameter("resourceArn is required")
	}
	a, ok := parseARN(resourceARN)
	if !ok {
		return nil, invalidParameter("resourceArn %q is not an ECS ARN", resourceARN)
	}
	if a.resourceType != "service" {
		return nil, invalidParameter("resourceArn %q: this fake keeps tags on services only, not on %s resources",
			resourceARN, a.resourceType)
	}
	if len(a.path) == 1 {
		return nil, invalidParameter("Long arn format must be used for tagging operations (%q is a short service ARN)", resourceARN)
	}
	if len(a.path) == 2 {
		if c, ok := s.clusters[a.path[0]]; ok {
			if svc, ok := c.services[a.path[1]]; ok && svc.arn == resourceARN {
				if svc.inactive {
					return nil, invalidParameter("The specified service is inactive. Specify an active service and try again.")
				}
				return svc, nil
			}
		}
	}
	return nil, invalidParameter("The specified resource was not found: no service has the ARN %q", resourceARN)
}

// taggableWith is taggable for an operation that also requires member, which the request sent or not.
func (s *Server) taggableWith(resourceARN, member string, sent bool) (*service, error) {
	svc, err := s.taggable(resourceARN)
	if err == nil && !sent {
		err = invalidParameter("%s is required", member)
	}
	return svc, err
}

// serviceNameOfARN returns the service name a long service ARN ends with, or "" for anything else.
func serviceNameOfARN(arn string) string {
	if a, ok := parseARN(arn); ok && a.resourceType == "service" && len(a.path) == 2 {
		return a.path[1]
	}
	return ""
}

// ---- lookups

type ecsARN struct {
	partition, region, account string
	resourceType               string
	path                       []string
}

// parseARN splits "arn:PARTITION:ecs:REGION:ACCOUNT:TYPE/A/B" into its parts.
func parseARN(s string) (ecsARN, bool) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "ecs" {
		return ecsARN{}, false
	}
	typ, rest, ok := strings.Cut(parts[5], "/")
	if !ok || typ == "" {
		return ecsARN{}, false
	}
	path := strings.Split(rest, "/")
	if slices.Contains(path, "") {
		return ecsARN{}, false
	}
	return ecsARN{partition: parts[1], region: parts[3], account: parts[4], resourceType: typ, path: path}, true
}

// lookupCluster resolves a request's cluster parameter, a name or an ARN; ECS uses "default" when it is empty.
func (s *Server) lookupCluster(ref string) (*cluster, error) {
	name := ref
	switch {
	case ref == "":
		name = "default"
	case strings.HasPrefix(ref, "arn:"):
		a, ok := parseARN(ref)
		if !ok || a.resourceType != "cluster" || len(a.path) != 1 {
			return nil, invalidParameter("cluster %q is neither a cluster name nor a cluster ARN", ref)
		}
		if c, ok := s.clusters[a.path[0]]; ok && c.arn == ref {
			return c, nil
		}
		return nil, s.clusterNotFound(ref)
	}
	if c, ok := s.clusters[name]; ok {
		return c, nil
	}
	return nil, s.clusterNotFound(name)
}

func (s *Server) clusterNotFound(ref string) error {
	known := slices.Sorted(maps.Keys(s.clusters))
	return awsfake.ClientError("ClusterNotFoundException", "Cluster not found: %q (clusters in %s: %s)",
		ref, s.opts.Region, strings.Join(known, ", "))
}

func serviceNotFound(c *cluster, ref string) error {
	return awsfake.ClientError("ServiceNotFoundException", "Service not found: %q in cluster %s", ref, c.name)
}

// lookupService resolves a service name or ARN within the cluster.
func (c *cluster) lookupService(ref string) (*service, bool) {
	return lookupIn(c.services, "service", ref, func(svc *service) string { return svc.arn })
}

// lookupTask resolves a task ID or ARN within the cluster.
func (c *cluster) lookupTask(ref string) (*task, bool) {
	return lookupIn(c.tasks, "task", ref, func(t *task) string { return t.arn })
}

// lookupIn resolves a reference to a resource of type typ: its key in byKey, or its ARN, which must be the
// resource's own (arnOf), not one of another account, region or cluster that ends the same.
func lookupIn[T any](byKey map[string]T, typ, ref string, arnOf func(T) string) (T, bool) {
	var zero T
	key := ref
	if strings.HasPrefix(ref, "arn:") {
		a, ok := parseARN(ref)
		if !ok || a.resourceType != typ {
			return zero, false
		}
		key = a.path[len(a.path)-1]
	}
	v, ok := byKey[key]
	if !ok || key != ref && arnOf(v) != ref {
		return zero, false
	}
	return v, true
}
