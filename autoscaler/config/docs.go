package config

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// The documentation tables of the knobs are generated between these markers; `go generate ./autoscaler/config`
// rewrites them, and TestDocsTablesAreGenerated fails while any is stale.
const (
	tableBegin = "<!-- knobs:begin (generated from autoscaler/config: go generate ./autoscaler/config) -->"
	tableEnd   = "<!-- knobs:end -->"
)

// DocFiles are the documents, relative to the repository root, that hold the generated table of every knob.
var DocFiles = []string{"README.md", "docker/README.md"}

//go:generate go run ../../internal/tools/knobdocs -root ../..

// Table renders every knob as a Markdown table: variable, meaning, default and allowed values.
func Table() string {
	var b strings.Builder
	b.WriteString("| variable | meaning | default | allowed |\n|---|---|---|---|\n")
	for _, k := range Knobs() {
		allowed := k.Type
		if k.Allowed != "" {
			allowed += ", " + k.Allowed
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", k.Var, cell(k.Meaning), cell(k.DocDefault()), cell(allowed))
	}
	return b.String()
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// RenderDoc returns doc with the text between the table markers replaced by Table(); it fails when doc has no
// markers, so a document cannot silently lose its table.
func RenderDoc(doc []byte) ([]byte, error) {
	i := bytes.Index(doc, []byte(tableBegin))
	j := bytes.Index(doc, []byte(tableEnd))
	if i < 0 || j < i {
		return nil, fmt.Errorf("no %q … %q markers", tableBegin, tableEnd)
	}
	var out bytes.Buffer
	out.Write(doc[:i+len(tableBegin)])
	out.WriteString("\n" + Table())
	out.Write(doc[j:])
	return out.Bytes(), nil
}

// WriteDocs regenerates the knob tables of DocFiles under root, reporting the files it changed.
func WriteDocs(root string) (changed []string, err error) {
	for _, name := range DocFiles {
		path := filepath.Join(root, name)
		doc, err := os.ReadFile(path)
		if err != nil {
			return changed, fmt.Errorf("reading %s: %w", name, err)
		}
		out, err := RenderDoc(doc)
		if err != nil {
			return changed, fmt.Errorf("%s: %w", name, err)
		}
		if !bytes.Equal(doc, out) {
			if err := os.WriteFile(path, out, 0o644); err != nil {
				return changed, fmt.Errorf("writing %s: %w", name, err)
			}
			changed = append(changed, name)
		}
	}
	return changed, nil
}
