// Command genmonorepo writes a synthetic Dagger monorepo (1,000
// dagger.json files and 5,000 module source files by default) for the
// collection and check benchmarks. With -json-only it writes only the
// dagger.json files (a different set of dependency forms, no sources):
// what bench/conftest.sh gives both pinline and conftest.
//
//	go run ./bench/genmonorepo -o /tmp/monorepo
//	go run ./bench/genmonorepo -o /tmp/json -json-only -modules 1000
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/pinline/pinline/internal/monorepo"
)

func main() {
	out := flag.String("o", "", "output directory (created)")
	mods := flag.Int("modules", 1000, "number of dagger.json files")
	files := flag.Int("files", 5000, "number of module source files (none with -json-only)")
	jsonOnly := flag.Bool("json-only", false, "dagger.json files only (the conftest comparison)")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "genmonorepo: -o DIR is required")
		os.Exit(2)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "genmonorepo:", err)
		os.Exit(1)
	}
	var err error
	if *jsonOnly {
		err = monorepo.GenerateDaggerJSON(*out, *mods)
	} else {
		err = monorepo.Generate(*out, monorepo.Options{Modules: *mods, SourceFiles: *files})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "genmonorepo:", err)
		os.Exit(1)
	}
}
