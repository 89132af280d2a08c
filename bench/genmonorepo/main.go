// Command genmonorepo writes a synthetic Dagger monorepo (1,000
// dagger.json files and 5,000 module source files by default) for the
// collection and check benchmarks.
//
//	go run ./bench/genmonorepo -o /tmp/monorepo
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
	files := flag.Int("files", 5000, "number of module source files")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "genmonorepo: -o DIR is required")
		os.Exit(2)
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "genmonorepo:", err)
		os.Exit(1)
	}
	if err := monorepo.Generate(*out, monorepo.Options{Modules: *mods, SourceFiles: *files}); err != nil {
		fmt.Fprintln(os.Stderr, "genmonorepo:", err)
		os.Exit(1)
	}
}
