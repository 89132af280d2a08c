// Command precompile writes policy/precompiled.bin, the compiled form of
// the embedded default policies (`go generate ./policy`).
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/pinline/pinline/internal/atomicfile"
	"github.com/pinline/pinline/policy"
)

func main() {
	out := flag.String("o", "precompiled.bin", "output file")
	flag.Parse()
	b, err := policy.Precompile()
	if err == nil {
		err = atomicfile.Write(*out, b, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "precompile:", err)
		os.Exit(1)
	}
}
