package terraform_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// exampleDir is the configuration the tests plan, relative to the module root (this directory).
const exampleDir = "examples/complete"

// leaseActions are the DynamoDB actions the daemon needs on its lease table, and must have on nothing else.
var leaseActions = []string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"}

// interfaceRequired are the daemon's variables that the module builds from its inputs. The README's "fastscaler
// environment" table says where every knob comes from, and checkEnvironment checks it against the knobs' declaration.
var interfaceRequired = []string{
	"FASTSCALER_CLUSTER", "FASTSCALER_ROUTER_SERVICE", "FASTSCALER_CAPACITY", "FASTSCALER_WEIGHTS",
	"FASTSCALER_MIN_TASKS", "FASTSCALER_MAX_TASKS", "FASTSCALER_DRY_RUN",
}

// scaledServiceActions are the ECS actions the daemon needs on the services it scales, and must have on nothing
// else.
var scaledServiceActions = []string{
	"ecs:DescribeServices", "ecs:ListTagsForResource", "ecs:TagResource", "ecs:UntagResource", "ecs:UpdateService",
}

// noResourceLevelActions have no resource-level permissions in IAM, so Resource "*" is the only way to grant them.
// Any other action granted on "*" is a finding.
var noResourceLevelActions = map[string]bool{
	"ecr:GetAuthorizationToken":                       true,
	"cloudwatch:PutMetricData":                        true,
	"cloudwatch:GetMetricData":                        true, // the warm start reads back fastscaler's RequestRate
	"application-autoscaling:DescribeScalableTargets": true,
	"ssmmessages:CreateControlChannel":                true,
	"ssmmessages:CreateDataChannel":                   true,
	"ssmmessages:OpenControlChannel":                  true,
	"ssmmessages:OpenDataChannel":                     true,
}

// ---------------------------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------------------------

func TestFormat(t *testing.T) {
	tf := findTerraform(t)
	t.Parallel()
	work := copyModule(t)
	out, err := tf.run(t, work, "fmt", "-check", "-recursive", "-diff", "-no-color")
	if err != nil {
		t.Fatalf("terraform fmt -check -recursive: files need formatting (run `terraform fmt -recursive terraform`):\n%s", out)
	}
}

func TestPlanInvariants(t *testing.T) {
	tf := findTerraform(t)
	t.Parallel()
	dir := initExample(t, tf)

	if out, err := tf.run(t, dir, "validate", "-no-color"); err != nil {
		t.Fatalf("terraform validate:\n%s", out)
	}
	p := tf.plan(t, dir, "invariants.tfplan")
	logResourceCounts(t, p)
	t.Run("the plan is the one recorded in "+goldenPlan, func(t *testing.T) { checkGoldenPlan(t, tf, p) })

	fsEnv := containerEnvironment(t, p, "FASTSCALER_CAPACITY")
	routerEnv := containerEnvironment(t, p, "CANARY_WEIGHT")
	cluster := fsEnv["FASTSCALER_CLUSTER"]
	scaled := mapKeys(t, "FASTSCALER_CAPACITY", fsEnv["FASTSCALER_CAPACITY"])
	statusPort, err := strconv.Atoi(fsEnv["FASTSCALER_STATUS_PORT"])
	if err != nil {
		t.Fatalf("FASTSCALER_STATUS_PORT=%q is not a port", fsEnv["FASTSCALER_STATUS_PORT"])
	}
	policies := iamPolicies(t, p)

	t.Run("fastscaler gets the FASTSCALER variables the module builds", func(t *testing.T) {
		for _, name := range interfaceRequired {
			if fsEnv[name] == "" {
				t.Errorf("%s is missing from the fastscaler container's environment", name)
			}
		}
	})

	t.Run("the fastscaler environment is the one the README describes, from the knobs' declaration", func(t *testing.T) {
		checkEnvironment(t, p, fsEnv)
	})

	t.Run("fastscaler_env_file reads back as the container's FASTSCALER variables", func(t *testing.T) {
		checkEnvFile(t, p, fsEnv)
	})

	t.Run("canary weight feeds the router and FASTSCALER_WEIGHTS", func(t *testing.T) {
		w, err := strconv.Atoi(routerEnv["CANARY_WEIGHT"])
		if err != nil {
			t.Fatalf("router CANARY_WEIGHT=%q is not a whole number", routerEnv["CANARY_WEIGHT"])
		}
		if want := fmt.Sprintf("api:%d,api-canary:%d", 100-w, w); fsEnv["FASTSCALER_WEIGHTS"] != want {
			t.Errorf("FASTSCALER_WEIGHTS = %q, want %q (router CANARY_WEIGHT=%d)", fsEnv["FASTSCALER_WEIGHTS"], want, w)
		}
		if routerEnv["STATUS_PORT"] != fsEnv["FASTSCALER_STATUS_PORT"] || routerEnv["STATUS_PATH"] != fsEnv["FASTSCALER_STATUS_PATH"] {
			t.Errorf("router serves stub_status on %s%s, fastscaler polls %s%s", routerEnv["STATUS_PORT"], routerEnv["STATUS_PATH"],
				fsEnv["FASTSCALER_STATUS_PORT"], fsEnv["FASTSCALER_STATUS_PATH"])
		}
	})

	t.Run("fastscaler container health check", func(t *testing.T) {
		got := containerHealthCheck(t, p, "FASTSCALER_CAPACITY")
		if diff := cmp.Diff([]string{"CMD", "/fastscaler", "healthcheck"}, got); diff != "" {
			t.Errorf("fastscaler health check command (-want +got):\n%s", diff)
		}
	})

	t.Run("every scaled service is an ECS service of the plan", func(t *testing.T) {
		services := ecsServices(p)
		for _, name := range scaled {
			if _, ok := services[name]; !ok {
				t.Errorf("FASTSCALER_CAPACITY names %q, but the plan creates no ECS service of that name (have %v)", name, sortedKeys(services))
			}
		}
		if _, ok := services[fsEnv["FASTSCALER_ROUTER_SERVICE"]]; !ok {
			t.Errorf("FASTSCALER_ROUTER_SERVICE=%q is not an ECS service of the plan", fsEnv["FASTSCALER_ROUTER_SERVICE"])
		}
	})

	t.Run("no IAM wildcard action and no managed FullAccess policy", func(t *testing.T) {
		for _, pol := range policies {
			for _, st := range pol.Statement {
				if len(st.NotAction) > 0 {
					t.Errorf("%s statement %q uses NotAction %v: grant actions by name", pol.Source, st.Sid, st.NotAction)
				}
				for _, a := range st.Action {
					if strings.Contains(a, "*") {
						t.Errorf("%s statement %q grants wildcard action %q", pol.Source, st.Sid, a)
					}
				}
			}
		}
		for _, arn := range managedPolicyARNs(p) {
			if strings.Contains(arn, "FullAccess") || strings.HasSuffix(arn, "/AdministratorAccess") || strings.HasSuffix(arn, "/PowerUserAccess") {
				t.Errorf("managed policy %s is attached: write the permissions out instead", arn)
			}
		}
	})

	t.Run("Resource * only for actions without resource-level permissions", func(t *testing.T) {
		for _, pol := range policies {
			if pol.Trust {
				continue
			}
			for _, st := range pol.Statement {
				if st.Effect != "Allow" || !contains(st.Resource, "*") {
					continue
				}
				for _, a := range st.Action {
					// ListTasks on a Fargate cluster names no container instance: it is granted on "*" and must be
					// confined to the cluster by the ecs:cluster condition instead.
					if a == "ecs:ListTasks" && strings.Contains(fmt.Sprint(st.Condition), "ecs:cluster") {
						continue
					}
					if !noResourceLevelActions[a] {
						t.Errorf("%s statement %q grants %s on Resource \"*\": name the resources", pol.Source, st.Sid, a)
					}
				}
			}
		}
	})

	t.Run("UpdateService and tagging scoped to exactly the scaled services", func(t *testing.T) {
		arnRE := regexp.MustCompile(`^arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:service/` + regexp.QuoteMeta(cluster) + `/([A-Za-z0-9_-]+)$`)
		want := append([]string(nil), scaled...)
		sort.Strings(want)
		granted := map[string]bool{}
		for _, pol := range policies {
			for _, st := range pol.Statement {
				if st.Effect != "Allow" || !containsAny(st.Action, scaledServiceActions) {
					continue
				}
				for _, a := range st.Action {
					granted[a] = true
				}
				if len(st.NotResource) > 0 || len(st.Resource) == 0 {
					t.Errorf("%s statement %q must name the services in Resource", pol.Source, st.Sid)
				}
				var got []string
				for _, r := range st.Resource {
					m := arnRE.FindStringSubmatch(r)
					if m == nil {
						t.Errorf("%s statement %q grants %v on %q, which is not a service ARN of cluster %q", pol.Source, st.Sid, st.Action, r, cluster)
						continue
					}
					got = append(got, m[1])
				}
				sort.Strings(got)
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s statement %q: services granted %v differ from FASTSCALER_CAPACITY (-want +got):\n%s", pol.Source, st.Sid, st.Action, diff)
				}
			}
		}
		for _, a := range scaledServiceActions {
			if !granted[a] {
				t.Errorf("no policy grants %s on the scaled services: the daemon needs it", a)
			}
		}
	})

	t.Run("task discovery limited to the cluster, metrics to the namespace", func(t *testing.T) {
		clusterRE := regexp.MustCompile(`^arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:cluster/` + regexp.QuoteMeta(cluster) + `$`)
		resourceRE := regexp.MustCompile(`^arn:aws[a-z-]*:ecs:[a-z0-9-]+:[0-9]{12}:(task|container-instance)/` + regexp.QuoteMeta(cluster) + `/\*$`)
		found := map[string]bool{}
		for _, pol := range policies {
			for _, st := range pol.Statement {
				if st.Effect != "Allow" {
					continue
				}
				if containsAny(st.Action, []string{"ecs:ListTasks", "ecs:DescribeTasks"}) {
					for _, a := range st.Action {
						found[a] = true
					}
					got := st.Condition["ArnEquals"]["ecs:cluster"]
					if len(got) != 1 || !clusterRE.MatchString(got[0]) {
						t.Errorf("%s statement %q: %v needs condition ArnEquals ecs:cluster = the ARN of cluster %q, has %v", pol.Source, st.Sid, st.Action, cluster, st.Condition)
					}
					for _, r := range st.Resource {
						// ListTasks alone may name "*": the condition above confines it (see iam.tf).
						if r == "*" && len(st.Action) == 1 && st.Action[0] == "ecs:ListTasks" {
							continue
						}
						if !resourceRE.MatchString(r) {
							t.Errorf("%s statement %q: %v on %q, want task or container-instance ARNs of cluster %q", pol.Source, st.Sid, st.Action, r, cluster)
						}
					}
				}
				if contains(st.Action, "cloudwatch:PutMetricData") {
					found["cloudwatch:PutMetricData"] = true
					ns := fsEnv["FASTSCALER_METRICS_NAMESPACE"]
					if got := st.Condition["StringEquals"]["cloudwatch:namespace"]; ns == "" || len(got) != 1 || got[0] != ns {
						t.Errorf("%s statement %q: PutMetricData needs condition StringEquals cloudwatch:namespace = %q, has %v", pol.Source, st.Sid, ns, st.Condition)
					}
				}
			}
		}
		for _, a := range []string{"ecs:ListTasks", "ecs:DescribeTasks", "cloudwatch:PutMetricData"} {
			if !found[a] {
				t.Errorf("no policy grants %s: the daemon needs it", a)
			}
		}
	})

	t.Run("AAS mode: MinCapacity moves only on the module's own scalable targets", func(t *testing.T) {
		targets := p.managed("aws_appautoscaling_target")
		if len(targets) == 0 {
			t.Skip("the example does not enable cpu_target_tracking")
		}
		if fsEnv["FASTSCALER_AAS_MODE"] != "auto" {
			t.Errorf("FASTSCALER_AAS_MODE = %q with scalable targets in the plan, want auto", fsEnv["FASTSCALER_AAS_MODE"])
		}
		var granted int
		for _, pol := range policies {
			for _, st := range pol.Statement {
				if st.Effect != "Allow" || !contains(st.Action, "application-autoscaling:RegisterScalableTarget") {
					continue
				}
				granted++
				if len(st.Action) != 1 {
					t.Errorf("%s statement %q grants %v with RegisterScalableTarget: keep it alone under its condition", pol.Source, st.Sid, st.Action)
				}
				if len(st.Condition["StringEquals"]) != 1 {
					t.Fatalf("%s statement %q: RegisterScalableTarget needs one StringEquals aws:ResourceTag condition, has %v", pol.Source, st.Sid, st.Condition)
				}
				for key, values := range st.Condition["StringEquals"] {
					tag, ok := strings.CutPrefix(key, "aws:ResourceTag/")
					if !ok || len(values) != 1 {
						t.Fatalf("%s statement %q: condition %s = %v, want aws:ResourceTag/KEY = one value", pol.Source, st.Sid, key, values)
					}
					for _, target := range targets {
						tags, _ := target.Change.After["tags"].(map[string]any)
						if str(tags[tag]) != values[0] {
							t.Errorf("%s is tagged %s=%q, but fastscaler may move MinCapacity only where it is %q", target.Address, tag, str(tags[tag]), values[0])
						}
					}
				}
			}
		}
		if granted != 1 {
			t.Errorf("%d statements grant RegisterScalableTarget, want exactly 1", granted)
		}
	})

	t.Run("status port reachable from no CIDR, only from a security group", func(t *testing.T) {
		var fromGroups int
		for _, r := range ingressRules(p) {
			if !r.covers(statusPort) {
				continue
			}
			for _, c := range r.CIDRs {
				if c == "0.0.0.0/0" || c == "::/0" {
					t.Errorf("%s opens the stub_status port %d to %s", r.Source, statusPort, c)
				} else {
					t.Errorf("%s opens the stub_status port %d to CIDR %s: only fastscaler's security group may reach it", r.Source, statusPort, c)
				}
			}
			if r.PrefixList {
				t.Errorf("%s opens the stub_status port %d to a prefix list: only fastscaler's security group may reach it", r.Source, statusPort)
			}
			if len(r.CIDRs) == 0 && !r.PrefixList && r.Group {
				fromGroups++
			}
		}
		if fromGroups == 0 {
			t.Errorf("no ingress rule admits a security group on the status port %d: fastscaler could not poll the routers", statusPort)
		}
		for _, rc := range p.ResourceChanges {
			if (rc.Type == "aws_lb_listener" || rc.Type == "aws_lb_target_group") && number(rc.Change.After["port"]) == float64(statusPort) {
				t.Errorf("%s exposes the status port %d through the load balancer", rc.Address, statusPort)
			}
		}
	})

	t.Run("vpc_endpoints: the tasks reach the AWS APIs through the endpoints only, never 0.0.0.0/0", func(t *testing.T) {
		interfaces, gateways := vpcEndpoints(p)
		if len(interfaces)+len(gateways) == 0 {
			t.Fatalf("%s creates no VPC endpoint: it must enable vpc_endpoints", exampleDir)
		}
		wantInterfaces := []string{"ecr.api", "ecr.dkr", "logs", "ecs"}
		if fsEnv["FASTSCALER_METRICS_NAMESPACE"] != "" {
			wantInterfaces = append(wantInterfaces, "monitoring")
		}
		if fsEnv["FASTSCALER_AAS_MODE"] == "auto" {
			wantInterfaces = append(wantInterfaces, "application-autoscaling")
		}
		for _, svc := range wantInterfaces {
			rc := interfaces[svc]
			if rc == nil {
				t.Errorf("no interface VPC endpoint for %s (have %v): the tasks call it", svc, sortedKeys(interfaces))
				continue
			}
			if rc.Change.After["private_dns_enabled"] != true {
				t.Errorf("%s: private_dns_enabled is not true, so the SDKs' default endpoint would not resolve to it", rc.Address)
			}
			if listLen(rc, "security_group_ids") == 0 {
				t.Errorf("%s has no security group", rc.Address)
			}
		}
		wantGateways := []string{"s3"} // ECR image layers
		if fsEnv["FASTSCALER_LEASE_TABLE"] != "" {
			wantGateways = append(wantGateways, "dynamodb") // the leader lease
		}
		for _, svc := range wantGateways {
			rc := gateways[svc]
			if rc == nil {
				t.Errorf("no gateway VPC endpoint for %s (have %v): the tasks call it", svc, sortedKeys(gateways))
				continue
			}
			if listLen(rc, "route_table_ids") == 0 {
				t.Errorf("%s is on no route table", rc.Address)
			}
		}

		// Stronger than "no task security group": no egress rule of the plan reaches a CIDR at all; every one names
		// a security group (the endpoints', or the next hop of the request path) or a gateway endpoint's prefix list.
		for _, r := range egressRules(p) {
			for _, c := range r.CIDRs {
				if c == "0.0.0.0/0" || c == "::/0" {
					t.Errorf("%s allows egress to %s although vpc_endpoints is on", r.Source, c)
				} else {
					t.Errorf("%s allows egress to CIDR %s: with vpc_endpoints the example needs none", r.Source, c)
				}
			}
			if len(r.CIDRs) == 0 && !r.Group && !r.PrefixList {
				t.Errorf("%s names no destination", r.Source)
			}
		}

		// Every task security group needs its way to the endpoints: one rule to the endpoints' group and one to the S3
		// prefix list, on 443; fastscaler alone one more to the DynamoDB prefix list (the lease); and the endpoints'
		// group admits each task group on 443.
		groups := taskSecurityGroups(t, p)
		var toGroup, toPrefixList, fromGroup int
		for _, r := range egressRules(p) {
			if r.covers(443) && r.Group {
				toGroup++
			}
			if r.covers(443) && r.PrefixList {
				toPrefixList++
			}
		}
		for _, r := range ingressRules(p) {
			if r.covers(443) && r.Group {
				fromGroup++
			}
		}
		if toGroup != len(groups) {
			t.Errorf("%d egress rules open 443 to a security group, want one per task security group %v", toGroup, groups)
		}
		wantPrefixList := 0
		for svc := range gateways {
			if svc == "dynamodb" {
				wantPrefixList++ // fastscaler's only: no other task calls DynamoDB
			} else {
				wantPrefixList += len(groups)
			}
		}
		if toPrefixList != wantPrefixList {
			t.Errorf("%d egress rules open 443 to a prefix list, want %d (task security groups %v to each gateway endpoint %v, only fastscaler to dynamodb)", toPrefixList, wantPrefixList, groups, sortedKeys(gateways))
		}
		if fromGroup != len(groups) {
			t.Errorf("%d ingress rules admit a security group on 443, want one per task security group %v (the endpoints' group)", fromGroup, groups)
		}
	})

	t.Run("hot standby: lease table, lease IAM, two daemons and rolling deploys", func(t *testing.T) {
		table := fsEnv["FASTSCALER_LEASE_TABLE"]
		if table == "" {
			t.Fatalf("FASTSCALER_LEASE_TABLE is not in the fastscaler container's environment: %s must keep fastscaler_standby on", exampleDir)
		}

		// The table the daemon is told to use is one the plan creates, shaped as the daemon expects.
		var lease *resourceChange
		for _, rc := range p.managed("aws_dynamodb_table") {
			if str(rc.Change.After["name"]) == table {
				lease = rc
			}
		}
		if lease == nil {
			t.Fatalf("FASTSCALER_LEASE_TABLE=%q, but the plan creates no DynamoDB table of that name", table)
		}
		a := lease.Change.After
		if got := str(a["billing_mode"]); got != "PAY_PER_REQUEST" {
			t.Errorf("%s: billing_mode = %q, want PAY_PER_REQUEST (on-demand)", lease.Address, got)
		}
		if got := str(a["hash_key"]); got != "id" || str(a["range_key"]) != "" {
			t.Errorf("%s: hash_key = %q, range_key = %q; the daemon needs partition key \"key\" alone", lease.Address, got, str(a["range_key"]))
		}
		if diff := cmp.Diff([]map[string]any{{"name": "id", "type": "S"}}, blocks(lease, "attribute")); diff != "" {
			t.Errorf("%s: attributes (-want +got):\n%s", lease.Address, diff)
		}
		if ttl := blocks(lease, "ttl"); len(ttl) != 1 || ttl[0]["enabled"] != true || str(ttl[0]["attribute_name"]) != "expires_at" {
			t.Errorf("%s: ttl = %v, want enabled on expires_at", lease.Address, ttl)
		}

		// Exactly the three lease actions, on the table's ARN alone, in the daemon's policy (the one that scales).
		arnRE := regexp.MustCompile(`^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:[0-9]{12}:table/` + regexp.QuoteMeta(table) + `$`)
		var grants int
		for _, pol := range policies {
			if pol.Trust {
				continue
			}
			var daemon bool
			for _, st := range pol.Statement {
				daemon = daemon || contains(st.Action, "ecs:UpdateService")
			}
			for _, st := range pol.Statement {
				var dynamo []string
				for _, a := range st.Action {
					if strings.HasPrefix(a, "dynamodb:") {
						dynamo = append(dynamo, a)
					}
				}
				if len(dynamo) == 0 {
					continue
				}
				grants++
				if !daemon {
					t.Errorf("%s statement %q grants %v outside fastscaler's policy", pol.Source, st.Sid, dynamo)
				}
				if st.Effect != "Allow" {
					continue
				}
				got := slices.Sorted(slices.Values(st.Action))
				if diff := cmp.Diff(leaseActions, got); diff != "" {
					t.Errorf("%s statement %q: actions (-want +got):\n%s", pol.Source, st.Sid, diff)
				}
				if len(st.NotResource) > 0 || len(st.Resource) != 1 || !arnRE.MatchString(st.Resource[0]) {
					t.Errorf("%s statement %q grants %v on %v, want the ARN of table %q alone", pol.Source, st.Sid, st.Action, st.Resource, table)
				}
			}
		}
		if grants != 1 {
			t.Errorf("%d statements grant DynamoDB actions, want exactly 1 (%v on the lease table)", grants, leaseActions)
		}

		// Two daemons, spread over the tasks' subnets (ECS spreads a Fargate service over their AZs), deployed side
		// by side: the old leader hands over on SIGTERM.
		var daemons []*resourceChange
		for name, rc := range ecsServices(p) {
			if !contains(scaled, name) {
				daemons = append(daemons, rc)
			}
		}
		if len(daemons) != 1 {
			t.Fatalf("want one ECS service besides the scaled ones (fastscaler's), have %d", len(daemons))
		}
		svc := daemons[0]
		for attr, want := range map[string]float64{"desired_count": 2, "deployment_minimum_healthy_percent": 100, "deployment_maximum_percent": 200} {
			if got := number(svc.Change.After[attr]); got != want {
				t.Errorf("%s: %s = %v, want %v with a lease", svc.Address, attr, got, want)
			}
		}
		if nc := blocks(svc, "network_configuration"); len(nc) != 1 || len(strs(nc[0]["subnets"])) < 2 {
			t.Errorf("%s: network_configuration = %v, want the private subnets (two AZs or more) so that the two tasks are spread", svc.Address, nc)
		}
	})

	t.Run("ECR repositories: scan on push, immutable tags, KMS, a lifecycle policy, and the images pulled from them", func(t *testing.T) {
		repos := map[string]*resourceChange{}
		for _, rc := range p.managed("aws_ecr_repository") {
			repos[str(rc.Change.After["name"])] = rc
		}
		if len(repos) != 2 {
			t.Fatalf("%s enables ecr_repositories: want 2 repositories (router, fastscaler), have %v", exampleDir, sortedKeys(repos))
		}
		policies := map[string]string{}
		for _, rc := range p.managed("aws_ecr_lifecycle_policy") {
			policies[str(rc.Change.After["repository"])] = str(rc.Change.After["policy"])
		}
		var pulls []string
		for _, pol := range iamPolicies(t, p) {
			for _, st := range pol.Statement {
				if contains(st.Action, "ecr:BatchGetImage") {
					pulls = append(pulls, st.Resource...)
				}
			}
		}
		for name, rc := range repos {
			a := rc.Change.After
			if str(a["image_tag_mutability"]) != "IMMUTABLE" {
				t.Errorf("%s: image_tag_mutability = %q, want IMMUTABLE", rc.Address, str(a["image_tag_mutability"]))
			}
			if scan := blocks(rc, "image_scanning_configuration"); len(scan) != 1 || scan[0]["scan_on_push"] != true {
				t.Errorf("%s: image_scanning_configuration = %v, want scan_on_push", rc.Address, scan)
			}
			if enc := blocks(rc, "encryption_configuration"); len(enc) != 1 || str(enc[0]["encryption_type"]) != "KMS" {
				t.Errorf("%s: encryption_configuration = %v, want KMS", rc.Address, enc)
			}
			if !strings.Contains(policies[name], `"countType":"imageCountMoreThan"`) {
				t.Errorf("repository %s has no lifecycle policy that keeps a number of images: %q", name, policies[name])
			}
			// The example names the images in these repositories: the execution role must be able to pull them.
			arn := regexp.MustCompile(`^arn:aws:ecr:[a-z0-9-]+:[0-9]{12}:repository/` + regexp.QuoteMeta(name) + `$`)
			if !slices.ContainsFunc(pulls, arn.MatchString) {
				t.Errorf("the execution role may not pull from repository %s (it pulls from %v)", name, pulls)
			}
		}
	})

	t.Run("scaled services ignore desired_count and tags", func(t *testing.T) {
		// Import the scaled services into a plan, as if they existed with a desired count fastscaler had set and
		// with fastscaler's state tags. A service whose lifecycle ignores desired_count and tags keeps the imported
		// (here: empty) values; one that does not would be planned back to the configured count and tags, which is
		// exactly what `terraform apply` must never do to a running surge.
		services := ecsServices(p)
		var imports strings.Builder
		for _, name := range scaled {
			rc := services[name]
			if rc == nil {
				t.Fatalf("scaled service %q is not in the plan", name)
			}
			if rc.Change.After["desired_count"] == nil {
				t.Fatalf("%s sets no desired_count, so the check below would prove nothing", rc.Address)
			}
			fmt.Fprintf(&imports, "import {\n  to = %s\n  id = %q\n}\n\n", rc.Address, cluster+"/"+name)
		}
		if err := os.WriteFile(filepath.Join(dir, "invariants_imports.tf"), []byte(imports.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		defer os.Remove(filepath.Join(dir, "invariants_imports.tf"))

		imported := ecsServices(tf.plan(t, dir, "imports.tfplan"))
		for _, name := range scaled {
			rc := imported[name]
			if rc == nil || rc.Change.Importing == nil {
				t.Errorf("service %q was not imported into the plan", name)
				continue
			}
			for _, attr := range []string{"desired_count", "tags"} {
				if v := rc.Change.After[attr]; v != nil {
					t.Errorf("%s: terraform apply would set %s back to %v: add %s to lifecycle.ignore_changes", rc.Address, attr, v, attr)
				}
			}
		}
	})
}

func TestCanaryWeightRejects101(t *testing.T) {
	tf := findTerraform(t)
	t.Parallel()
	dir := initExample(t, tf)
	// One value only: every plan costs seconds. The validation block itself also rejects negative and fractional
	// weights; 101 is the value an off-by-one would let through.
	out, err := tf.run(t, dir, "plan", "-refresh=false", "-input=false", "-lock=false", "-no-color",
		"-var-file=complete.tfvars", "-var", "canary_weight=101")
	if err == nil {
		t.Fatal("plan with canary_weight=101 succeeded; the variable must reject it")
	}
	const message = "canary_weight must be a whole number between 0 and 100"
	if !strings.Contains(flatten(out), message) {
		t.Errorf("plan with canary_weight=101 failed without the validation message %q:\n%s", message, out)
	}
}
