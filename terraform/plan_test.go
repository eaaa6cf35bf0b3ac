package terraform_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"
)

type plan struct {
	ResourceChanges []*resourceChange `json:"resource_changes"`
	OutputChanges   map[string]struct {
		After        any `json:"after"`
		AfterUnknown any `json:"after_unknown"`
	} `json:"output_changes"`
	Configuration struct {
		RootModule *configModule `json:"root_module"`
	} `json:"configuration"`
}

// configModule is the part of a module's configuration in the plan JSON that the tests read: which resources an
// ECS service's network_configuration.security_groups refers to, and the variables' defaults.
type configModule struct {
	Resources []struct {
		Type        string `json:"type"`
		Mode        string `json:"mode"`
		Expressions struct {
			NetworkConfiguration []struct {
				SecurityGroups struct {
					References []string `json:"references"`
				} `json:"security_groups"`
			} `json:"network_configuration"`
		} `json:"expressions"`
	} `json:"resources"`
	ModuleCalls map[string]struct {
		Module *configModule `json:"module"`
	} `json:"module_calls"`
	Variables map[string]struct {
		Default any `json:"default"`
	} `json:"variables"`
}

type resourceChange struct {
	Address         string `json:"address"`
	PreviousAddress string `json:"previous_address"`
	Mode            string `json:"mode"`
	Type            string `json:"type"`
	Change          struct {
		Actions      []string       `json:"actions"`
		After        map[string]any `json:"after"`
		AfterUnknown map[string]any `json:"after_unknown"`
		Importing    map[string]any `json:"importing"`
	} `json:"change"`
}

// managed returns the plan's managed resources of type typ.
func (p *plan) managed(typ string) []*resourceChange {
	var out []*resourceChange
	for _, rc := range p.ResourceChanges {
		if rc.Mode == "managed" && rc.Type == typ && rc.Change.After != nil {
			out = append(out, rc)
		}
	}
	return out
}

func logResourceCounts(t *testing.T, p *plan) {
	t.Helper()
	byType := map[string]int{}
	actions := map[string]int{}
	for _, rc := range p.ResourceChanges {
		if rc.Mode != "managed" {
			continue
		}
		byType[rc.Type]++
		actions[strings.Join(rc.Change.Actions, "+")]++
	}
	var parts []string
	for _, typ := range sortedKeys(byType) {
		parts = append(parts, fmt.Sprintf("%s=%d", typ, byType[typ]))
	}
	t.Logf("plan of %s: %v resources by action; by type: %s", exampleDir, actions, strings.Join(parts, " "))
}

type container struct {
	Name        string `json:"name"`
	Environment []struct {
		Name  string `json:"name"`
		Value string `json:"value"`
	} `json:"environment"`
	HealthCheck struct {
		Command []string `json:"command"`
	} `json:"healthCheck"`
}

// findContainer returns the container of the plan's task definitions whose environment has the variable marker.
func findContainer(t *testing.T, p *plan, marker string) container {
	t.Helper()
	var found []container
	for _, rc := range p.managed("aws_ecs_task_definition") {
		defs, ok := rc.Change.After["container_definitions"].(string)
		if !ok {
			t.Fatalf("%s: container_definitions is not known at plan time", rc.Address)
		}
		var cs []container
		if err := json.Unmarshal([]byte(defs), &cs); err != nil {
			t.Fatalf("%s: parsing container_definitions: %v", rc.Address, err)
		}
		for _, c := range cs {
			for _, e := range c.Environment {
				if e.Name == marker {
					found = append(found, c)
				}
			}
		}
	}
	if len(found) != 1 {
		t.Fatalf("want exactly one container with %s in its environment, found %d", marker, len(found))
	}
	return found[0]
}

func containerEnvironment(t *testing.T, p *plan, marker string) map[string]string {
	t.Helper()
	env := map[string]string{}
	for _, e := range findContainer(t, p, marker).Environment {
		env[e.Name] = e.Value
	}
	return env
}

func containerHealthCheck(t *testing.T, p *plan, marker string) []string {
	t.Helper()
	return findContainer(t, p, marker).HealthCheck.Command
}

// ecsServices returns the plan's ECS services by service name.
func ecsServices(p *plan) map[string]*resourceChange {
	out := map[string]*resourceChange{}
	for _, rc := range p.managed("aws_ecs_service") {
		if name, ok := rc.Change.After["name"].(string); ok {
			out[name] = rc
		}
	}
	return out
}

// mapKeys returns the service names of a service:value,service:value variable.
func mapKeys(t *testing.T, variable, value string) []string {
	t.Helper()
	var keys []string
	for _, pair := range strings.Split(value, ",") {
		k, _, ok := strings.Cut(strings.TrimSpace(pair), ":")
		if !ok || k == "" {
			t.Fatalf("%s=%q: %q is not service:value", variable, value, pair)
		}
		keys = append(keys, k)
	}
	return keys
}

// ---------------------------------------------------------------------------------------------------------------
// IAM
// ---------------------------------------------------------------------------------------------------------------

// stringList is an IAM policy value, which may be one string or a list of strings.
type stringList []string

func (s *stringList) UnmarshalJSON(b []byte) (err error) {
	*s, err = oneOrMany[string](b)
	return err
}

// oneOrMany reads a JSON value that is either one T or a list of T.
func oneOrMany[T any](b []byte) ([]T, error) {
	var one T
	if err := json.Unmarshal(b, &one); err == nil {
		return []T{one}, nil
	}
	var many []T
	if err := json.Unmarshal(b, &many); err != nil {
		return nil, err
	}
	return many, nil
}

type statement struct {
	Sid         string                           `json:"Sid"`
	Effect      string                           `json:"Effect"`
	Action      stringList                       `json:"Action"`
	NotAction   stringList                       `json:"NotAction"`
	Resource    stringList                       `json:"Resource"`
	NotResource stringList                       `json:"NotResource"`
	Condition   map[string]map[string]stringList `json:"Condition"`
}

// statements is a policy's Statement, which may be one statement or a list.
type statements []statement

func (s *statements) UnmarshalJSON(b []byte) (err error) {
	*s, err = oneOrMany[statement](b)
	return err
}

type policy struct {
	Source    string // resource address and attribute
	Trust     bool   // a role's trust policy
	Statement statements
}

// iamPolicies returns every policy document of the plan. A document that is not known at plan time is an error:
// it could not be reviewed, by this test or by a person reading the plan.
func iamPolicies(t *testing.T, p *plan) []policy {
	t.Helper()
	var out []policy
	add := func(rc *resourceChange, attr string, doc any, trust bool) {
		source := rc.Address + "." + attr
		s, ok := doc.(string)
		if !ok {
			if rc.Change.AfterUnknown[attr] == true {
				t.Errorf("%s is not known at plan time: build it from known values so that the plan shows it", source)
			}
			return
		}
		var pol struct {
			Statement statements `json:"Statement"`
		}
		if err := json.Unmarshal([]byte(s), &pol); err != nil {
			t.Errorf("%s: parsing the policy: %v", source, err)
			return
		}
		out = append(out, policy{Source: source, Trust: trust, Statement: pol.Statement})
	}
	for _, typ := range []string{"aws_iam_role_policy", "aws_iam_policy"} {
		for _, rc := range p.managed(typ) {
			add(rc, "policy", rc.Change.After["policy"], false)
		}
	}
	for _, rc := range p.managed("aws_iam_role") {
		add(rc, "assume_role_policy", rc.Change.After["assume_role_policy"], true)
		inline, _ := rc.Change.After["inline_policy"].([]any)
		for _, ip := range inline {
			if m, ok := ip.(map[string]any); ok && m["policy"] != nil {
				add(rc, "inline_policy", m["policy"], false)
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("the plan has no IAM policy at all")
	}
	return out
}

// managedPolicyARNs returns the ARNs of the managed policies the plan attaches.
func managedPolicyARNs(p *plan) []string {
	var out []string
	for _, typ := range []string{"aws_iam_role_policy_attachment", "aws_iam_policy_attachment", "aws_iam_role_policy_attachments_exclusive"} {
		for _, rc := range p.managed(typ) {
			if arn, ok := rc.Change.After["policy_arn"].(string); ok {
				out = append(out, arn)
			}
			arns, _ := rc.Change.After["policy_arns"].([]any)
			for _, a := range arns {
				if s, ok := a.(string); ok {
					out = append(out, s)
				}
			}
		}
	}
	for _, rc := range p.managed("aws_iam_role") {
		arns, _ := rc.Change.After["managed_policy_arns"].([]any)
		for _, a := range arns {
			if s, ok := a.(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

// ---------------------------------------------------------------------------------------------------------------
// Security groups
// ---------------------------------------------------------------------------------------------------------------

// sgRule is one security group rule, ingress or egress, in whichever of the three ways it is written.
type sgRule struct {
	Source     string
	Protocol   string
	From, To   float64
	CIDRs      []string // IPv4 and IPv6 CIDRs: address-based peers
	PrefixList bool     // the peer is a prefix list (its ID may be known only after apply)
	Group      bool     // the peer is a security group
}

// covers reports whether the rule admits TCP traffic to port.
func (r sgRule) covers(port int) bool {
	switch r.Protocol {
	case "-1", "all":
		return true
	case "tcp", "6":
		return r.From <= float64(port) && float64(port) <= r.To
	}
	return false
}

// ingressRules returns every ingress rule of the plan.
func ingressRules(p *plan) []sgRule { return sgRules(p, "ingress") }

// egressRules returns every egress rule of the plan.
func egressRules(p *plan) []sgRule { return sgRules(p, "egress") }

// known reports whether attribute k of the planned resource is set, or will be once applied.
func known(rc *resourceChange, k string) bool {
	v := rc.Change.After[k]
	return (v != nil && v != "") || rc.Change.AfterUnknown[k] == true
}

// listLen returns the number of elements of list attribute k of the planned resource, known or not.
func listLen(rc *resourceChange, k string) int {
	after, _ := rc.Change.After[k].([]any)
	unknown, _ := rc.Change.AfterUnknown[k].([]any)
	return max(len(after), len(unknown))
}

func sgRules(p *plan, direction string) []sgRule {
	var out []sgRule
	for _, rc := range p.managed("aws_vpc_security_group_" + direction + "_rule") {
		a := rc.Change.After
		r := sgRule{Source: rc.Address, Protocol: str(a["ip_protocol"]), From: number(a["from_port"]), To: number(a["to_port"])}
		for _, k := range []string{"cidr_ipv4", "cidr_ipv6"} {
			if s := str(a[k]); s != "" {
				r.CIDRs = append(r.CIDRs, s)
			}
		}
		r.PrefixList = known(rc, "prefix_list_id")
		r.Group = known(rc, "referenced_security_group_id")
		out = append(out, r)
	}
	for _, rc := range p.managed("aws_security_group_rule") {
		a := rc.Change.After
		if str(a["type"]) != direction {
			continue
		}
		r := sgRule{Source: rc.Address, Protocol: str(a["protocol"]), From: number(a["from_port"]), To: number(a["to_port"])}
		r.CIDRs = append(strs(a["cidr_blocks"]), strs(a["ipv6_cidr_blocks"])...)
		r.PrefixList = len(strs(a["prefix_list_ids"])) > 0 || rc.Change.AfterUnknown["prefix_list_ids"] != nil
		r.Group = known(rc, "source_security_group_id") || a["self"] == true
		out = append(out, r)
	}
	for _, rc := range p.managed("aws_security_group") {
		inline, _ := rc.Change.After[direction].([]any)
		for i, x := range inline {
			a, _ := x.(map[string]any)
			r := sgRule{Source: fmt.Sprintf("%s.%s[%d]", rc.Address, direction, i), Protocol: str(a["protocol"]), From: number(a["from_port"]), To: number(a["to_port"])}
			r.CIDRs = append(strs(a["cidr_blocks"]), strs(a["ipv6_cidr_blocks"])...)
			r.PrefixList = len(strs(a["prefix_list_ids"])) > 0
			r.Group = len(strs(a["security_groups"])) > 0 || a["self"] == true
			out = append(out, r)
		}
	}
	return out
}

// vpcEndpoints returns the plan's interface and gateway VPC endpoints by service (the part of the service name after
// com.amazonaws.REGION.).
func vpcEndpoints(p *plan) (interfaces, gateways map[string]*resourceChange) {
	interfaces, gateways = map[string]*resourceChange{}, map[string]*resourceChange{}
	name := regexp.MustCompile(`^com\.amazonaws\.[a-z0-9-]+\.(.+)$`)
	for _, rc := range p.managed("aws_vpc_endpoint") {
		m := name.FindStringSubmatch(str(rc.Change.After["service_name"]))
		if m == nil {
			continue
		}
		switch str(rc.Change.After["vpc_endpoint_type"]) {
		case "Interface":
			interfaces[m[1]] = rc
		case "Gateway":
			gateways[m[1]] = rc
		}
	}
	return interfaces, gateways
}

// taskSecurityGroups returns the names of the module's aws_security_group resources (NAME, or KEY for a for_each
// resource's instance NAME["KEY"]) that the plan's ECS services attach to their tasks, read from the configuration
// (the IDs themselves are known only after apply).
func taskSecurityGroups(t *testing.T, p *plan) []string {
	t.Helper()
	ref := regexp.MustCompile(`^aws_security_group\.([A-Za-z0-9_-]+)(?:\["([^"]+)"\])?$`)
	groups := map[string]bool{}
	var walk func(m *configModule)
	walk = func(m *configModule) {
		if m == nil {
			return
		}
		for _, r := range m.Resources {
			if r.Mode != "managed" || r.Type != "aws_ecs_service" {
				continue
			}
			for _, nc := range r.Expressions.NetworkConfiguration {
				// A reference to an instance also lists the whole resource: count the instance alone.
				keyed := map[string]bool{}
				var whole []string
				for _, x := range nc.SecurityGroups.References {
					if m := ref.FindStringSubmatch(x); m != nil && m[2] != "" {
						groups[m[2]], keyed[m[1]] = true, true
					} else if m != nil {
						whole = append(whole, m[1])
					}
				}
				for _, name := range whole {
					if !keyed[name] {
						groups[name] = true
					}
				}
			}
		}
		for _, call := range m.ModuleCalls {
			walk(call.Module)
		}
	}
	walk(p.Configuration.RootModule)
	if len(groups) == 0 {
		t.Fatal("no ECS service of the configuration attaches a security group of the module to its tasks")
	}
	return sortedKeys(groups)
}

// blocks returns the elements of nested block (or list of objects) k of the planned resource, as far as they are known.
func blocks(rc *resourceChange, k string) []map[string]any {
	list, _ := rc.Change.After[k].([]any)
	var out []map[string]any
	for _, x := range list {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// ---------------------------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------------------------

func str(v any) string {
	s, _ := v.(string)
	return s
}

func number(v any) float64 {
	f, _ := v.(float64)
	return f
}

func strs(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	return slices.Contains(list, s)
}

func containsAny(list, wanted []string) bool {
	return slices.ContainsFunc(wanted, func(s string) bool { return slices.Contains(list, s) })
}

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
