package terraform_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
)

type plan struct {
	ResourceChanges []*resourceChange `json:"resource_changes"`
}

type resourceChange struct {
	Address string `json:"address"`
	Mode    string `json:"mode"`
	Type    string `json:"type"`
	Change  struct {
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

func (s *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*s = stringList{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*s = many
	return nil
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

func (s *statements) UnmarshalJSON(b []byte) error {
	var one statement
	if err := json.Unmarshal(b, &one); err == nil {
		*s = statements{one}
		return nil
	}
	var many []statement
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*s = many
	return nil
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

type ingressRule struct {
	Source    string
	Protocol  string
	From, To  float64
	CIDRs     []string // IPv4 and IPv6 CIDRs and prefix lists: address-based sources
	FromGroup bool     // the source is a security group
}

// covers reports whether the rule admits TCP traffic to port.
func (r ingressRule) covers(port int) bool {
	switch r.Protocol {
	case "-1", "all":
		return true
	case "tcp", "6":
		return r.From <= float64(port) && float64(port) <= r.To
	}
	return false
}

// ingressRules returns every ingress rule of the plan, in whichever of the three ways it is written.
func ingressRules(p *plan) []ingressRule {
	var out []ingressRule
	for _, rc := range p.managed("aws_vpc_security_group_ingress_rule") {
		a := rc.Change.After
		r := ingressRule{Source: rc.Address, Protocol: str(a["ip_protocol"]), From: number(a["from_port"]), To: number(a["to_port"])}
		for _, k := range []string{"cidr_ipv4", "cidr_ipv6", "prefix_list_id"} {
			if s := str(a[k]); s != "" {
				r.CIDRs = append(r.CIDRs, s)
			}
		}
		r.FromGroup = a["referenced_security_group_id"] != nil || rc.Change.AfterUnknown["referenced_security_group_id"] == true
		out = append(out, r)
	}
	for _, rc := range p.managed("aws_security_group_rule") {
		a := rc.Change.After
		if str(a["type"]) != "ingress" {
			continue
		}
		r := ingressRule{Source: rc.Address, Protocol: str(a["protocol"]), From: number(a["from_port"]), To: number(a["to_port"])}
		r.CIDRs = append(append(strs(a["cidr_blocks"]), strs(a["ipv6_cidr_blocks"])...), strs(a["prefix_list_ids"])...)
		r.FromGroup = a["source_security_group_id"] != nil || rc.Change.AfterUnknown["source_security_group_id"] == true || a["self"] == true
		out = append(out, r)
	}
	for _, rc := range p.managed("aws_security_group") {
		inline, _ := rc.Change.After["ingress"].([]any)
		for i, x := range inline {
			a, _ := x.(map[string]any)
			r := ingressRule{Source: fmt.Sprintf("%s.ingress[%d]", rc.Address, i), Protocol: str(a["protocol"]), From: number(a["from_port"]), To: number(a["to_port"])}
			r.CIDRs = append(append(strs(a["cidr_blocks"]), strs(a["ipv6_cidr_blocks"])...), strs(a["prefix_list_ids"])...)
			r.FromGroup = len(strs(a["security_groups"])) > 0 || a["self"] == true
			out = append(out, r)
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
