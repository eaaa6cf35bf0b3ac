// Command knobdocs regenerates the tables of FASTSCALER_* variables in the documentation from their one
// declaration (autoscaler/config.Knobs). Run it through `go generate ./autoscaler/config`.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/fastscaler/fastscaler/autoscaler/config"
)

func main() {
	root := flag.String("root", ".", "the repository root")
	flag.Parse()
	changed, err := config.WriteDocs(*root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "knobdocs:", err)
		os.Exit(1)
	}
	for _, name := range changed {
		fmt.Println("knobdocs: rewrote the table in", name)
	}
}
