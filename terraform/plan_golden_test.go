package terraform_test

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/complete.plan.json from the current plan of examples/complete")

// goldenPlan is the file that records the plan of examples/complete: every managed resource and output, with the
// values known at plan time and which ones are not. A change of the module that changes the plan shows here, in review.
const goldenPlan = "testdata/complete.plan.json"

// recordedPlan is the part of a plan that goldenPlan holds.
type recordedPlan struct {
	Resources map[string]recordedValue `json:"resources"`
	Outputs   map[string]recordedValue `json:"outputs"`
}

type recordedValue struct {
	Type    string `json:"type,omitempty"`
	Values  any    `json:"values"`
	Unknown any    `json:"unknown"`
}

func recordPlan(p *plan) recordedPlan {
	r := recordedPlan{Resources: map[string]recordedValue{}, Outputs: map[string]recordedValue{}}
	for _, rc := range p.ResourceChanges {
		if rc.Mode == "managed" {
			r.Resources[rc.Address] = recordedValue{Type: rc.Type, Values: rc.Change.After, Unknown: rc.Change.AfterUnknown}
		}
	}
	for name, oc := range p.OutputChanges {
		r.Outputs[name] = recordedValue{Values: oc.After, Unknown: oc.AfterUnknown}
	}
	return r
}

// checkGoldenPlan compares the plan with goldenPlan (or rewrites it with -update). The values the offline provider
// makes up (data sources) differ from the real provider's, so only offline plans are compared.
func checkGoldenPlan(t *testing.T, tf terraform, p *plan) {
	t.Helper()
	if tf.offline == "" {
		t.Skipf("%s records an offline-terraform plan; the real provider plans other placeholder values", goldenPlan)
	}
	// Round-trip through JSON so that both sides hold the same types.
	data, err := json.MarshalIndent(recordPlan(p), "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(goldenPlan, append(data, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	var got, want recordedPlan
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(read(t, goldenPlan)), &want); err != nil {
		t.Fatalf("parsing %s: %v", goldenPlan, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the plan of %s differs from %s (-recorded +planned); if the change is intended, run "+
			"`go test ./terraform -run TestPlanInvariants -update` and review the file's diff:\n%s", exampleDir, goldenPlan, diff)
	}
}

// TestMovedBlocksKeepEveryResource plans two deployments over states that hold every resource of their plans from
// before a folding of the module's alike resources: examples/complete, and testdata/default-network (the default
// network: no VPC endpoints, HTTPS egress to CIDRs, whose rule families the example lacks). Each has two recorded
// lists, before-folding.addresses (from before the first folding, 024901c) and before-refolding.addresses (from
// between the two, adc52f5), recorded from the plans of the module at those commits. moved.tf must move each one that
// changed address: the plan may update resources in place (the state holds IDs only), but it must not destroy,
// replace or create any of them.
func TestMovedBlocksKeepEveryResource(t *testing.T) {
	tf := findTerraform(t)
	if tf.offline == "" {
		t.Skip("the state holds IDs alone, which offline-terraform's schema-only provider accepts; run with it (CI)")
	}
	t.Parallel()
	for _, tc := range []struct{ deployment, lists string }{
		{exampleDir, "testdata"},
		{"testdata/default-network", "testdata/default-network"},
	} {
		for _, list := range []string{"before-folding.addresses", "before-refolding.addresses"} {
			t.Run(filepath.Base(tc.deployment)+"/"+list, func(t *testing.T) {
				t.Parallel()
				checkMovedBlocks(t, tf, tc.deployment, filepath.Join(tc.lists, list))
			})
		}
	}
}

// checkMovedBlocks plans deployment (examples/complete with testdata/complete.tfvars, or a root module under testdata)
// over a state that holds the resources listed in file, and fails for each of them that the plan destroys, creates or
// does not hold at all.
func checkMovedBlocks(t *testing.T, tf terraform, deployment, file string) {
	t.Helper()
	dir, args := "", []string(nil)
	if deployment == exampleDir {
		dir, args = initExample(t, tf), []string{"-var-file=complete.tfvars"}
	} else {
		dir = initFixture(t, tf, deployment)
	}
	addresses := readLines(t, file)
	state, err := stateOf(addresses)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "terraform.tfstate"), state, 0o644); err != nil {
		t.Fatal(err)
	}
	p := tf.planWith(t, dir, "moved.tfplan", args...)

	old := map[string]bool{}
	for _, a := range addresses {
		old[a] = true
	}
	kept := map[string]string{} // old address -> address in the plan
	for _, rc := range p.ResourceChanges {
		if rc.Mode != "managed" {
			continue
		}
		from := rc.Address
		if rc.PreviousAddress != "" {
			from = rc.PreviousAddress
		}
		if !old[from] {
			continue // a resource the module has gained since
		}
		kept[from] = rc.Address
		for _, action := range rc.Change.Actions {
			if action == "delete" || action == "create" {
				t.Errorf("%s of the earlier state is planned %v (at %s): a moved block is missing or wrong", from, rc.Change.Actions, rc.Address)
			}
		}
	}
	var moved int
	for _, a := range addresses {
		switch to, ok := kept[a]; {
		case !ok:
			t.Errorf("%s of the state is not in the plan at any address", a)
		case to != a:
			moved++
		}
	}
	t.Logf("%d resources of the earlier state: %d moved, %d kept their address", len(addresses), moved, len(kept)-moved)
}

// addressRE splits a resource instance address: the module path, type, name and instance key.
var addressRE = regexp.MustCompile(`^((?:module\.[A-Za-z0-9_-]+(?:\[[^\]]+\])?\.)*)([a-z0-9_]+)\.([A-Za-z0-9_-]+)(?:\[(.+)\])?$`)

// stateOf returns a Terraform state (format 4) that holds the managed resource instances at addresses, each with a
// made-up ID and no other attribute: enough for a plan to match the state against the configuration.
func stateOf(addresses []string) ([]byte, error) {
	type instance struct {
		IndexKey      any            `json:"index_key,omitempty"`
		SchemaVersion int            `json:"schema_version"`
		Attributes    map[string]any `json:"attributes"`
	}
	type resource struct {
		Module    string      `json:"module,omitempty"`
		Mode      string      `json:"mode"`
		Type      string      `json:"type"`
		Name      string      `json:"name"`
		Provider  string      `json:"provider"`
		Instances []*instance `json:"instances"`
	}
	var resources []*resource
	byName := map[string]*resource{}
	for _, a := range addresses {
		m := addressRE.FindStringSubmatch(a)
		if m == nil {
			return nil, fmt.Errorf("%q is not a resource instance address", a)
		}
		module, typ, name, key := strings.TrimSuffix(m[1], "."), m[2], m[3], m[4]
		r := byName[module+" "+typ+"."+name]
		if r == nil {
			r = &resource{Module: module, Mode: "managed", Type: typ, Name: name, Provider: `provider["registry.terraform.io/hashicorp/aws"]`}
			byName[module+" "+typ+"."+name] = r
			resources = append(resources, r)
		}
		inst := &instance{Attributes: map[string]any{"id": "placeholder " + a}}
		if key != "" {
			if err := json.Unmarshal([]byte(key), &inst.IndexKey); err != nil {
				return nil, fmt.Errorf("%s: instance key %s: %w", a, key, err)
			}
		}
		r.Instances = append(r.Instances, inst)
	}
	return json.MarshalIndent(map[string]any{
		"version": 4, "terraform_version": "1.6.0", "serial": 1, "lineage": "fastscaler-moved-blocks-test",
		"outputs": map[string]any{}, "resources": resources,
	}, "", " ")
}

// readLines returns the lines of a file that are neither empty nor # comments.
func readLines(t *testing.T, path string) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(strings.NewReader(read(t, path)))
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return out
}
