package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/pinline/pinline/pipeline"
	"github.com/pinline/pinline/spec"
)

func main() {
	t0 := time.Now()
	s, err := spec.Load(os.Args[1])
	if err != nil {
		panic(err)
	}
	_, err = pipeline.Run(context.Background(), pipeline.Options{Spec: s, Root: "/tmp/plbench", Gate: pipeline.BuiltinGate{},
		Engine: pipeline.Engine{Address: os.Args[2], CLI: os.Args[3], Env: os.Environ()},
		Progress: func(e pipeline.Event) { fmt.Printf("%6dms %s %s\n", time.Since(t0).Milliseconds(), e.Task, e.Status) }})
	fmt.Printf("%6dms done %v\n", time.Since(t0).Milliseconds(), err)
}
