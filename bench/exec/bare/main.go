// Command bare runs the benchmark pipeline of bench/exec.sh directly with
// the Dagger Go SDK, with nothing of pinline around it: the anchor that
// `pinline run` is compared against. It does what the generated
// pinline.yaml does: three tasks (gen; sum continuing from gen; lint in
// parallel), stdout/stderr of each read back, one file exported.
//
// The SDK finds the engine through _EXPERIMENTAL_DAGGER_RUNNER_HOST and the
// CLI through _EXPERIMENTAL_DAGGER_CLI_BIN.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sync"

	"dagger.io/dagger"
)

func main() {
	image := flag.String("image", "", "busybox image reference")
	nonce := flag.String("nonce", "", "value that defeats the engine's exec cache")
	out := flag.String("out", "", "export /o/data here")
	flag.Parse()
	if err := run(context.Background(), *image, *nonce, *out); err != nil {
		fmt.Fprintln(os.Stderr, "bare:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, image, nonce, out string) error {
	c, err := dagger.Connect(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	base := c.Container().From(image).WithEnvVariable("N", nonce)
	exec := func(ctr *dagger.Container, sh string) (*dagger.Container, error) {
		ctr, err := ctr.WithExec([]string{"sh", "-c", sh}).Sync(ctx)
		if err != nil {
			return nil, err
		}
		if _, err := ctr.Stdout(ctx); err != nil {
			return nil, err
		}
		_, err = ctr.Stderr(ctx)
		return ctr, err
	}
	var wg sync.WaitGroup
	var lintErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, lintErr = exec(base, `echo "lint $N"; seq 1 5000 | wc -l`)
	}()
	gen, err := exec(base, `mkdir -p /o && echo "$N" > /o/data && seq 1 20000 >> /o/data`)
	if err == nil {
		var sum *dagger.Container
		if sum, err = exec(gen, `sha256sum /o/data`); err == nil {
			_, err = sum.File("/o/data").Export(ctx, out)
		}
	}
	wg.Wait()
	if err != nil {
		return err
	}
	return lintErr
}
