// Command gen writes a synthetic monorepo for the gate benchmarks:
//
//	go run ./bench/monorepo/gen -dir /tmp/mono -modules 1000 -sources 5
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/pinline/pinline/bench/monorepo"
)

func main() {
	dir := flag.String("dir", "", "output directory (must not exist or be empty)")
	modules := flag.Int("modules", 1000, "number of dagger.json modules")
	sources := flag.Int("sources", 5, "Go source files per module")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "gen: -dir is required")
		os.Exit(2)
	}
	files, err := monorepo.Generate(*dir, *modules, *sources)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	fmt.Printf("%d dagger.json, %d source files under %s\n", len(files), len(files)**sources, *dir)
}
