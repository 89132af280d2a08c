// Command keygen writes a cosign-compatible key pair (PREFIX.key, PREFIX.pub)
// encrypted with $COSIGN_PASSWORD, for bench scripts.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/pinline/pinline/attest"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: keygen PREFIX")
		os.Exit(2)
	}
	pass := func() ([]byte, error) { return []byte(os.Getenv("COSIGN_PASSWORD")), nil }
	priv, pub, err := attest.GenerateKeyPair(context.Background(), pass, true)
	if err == nil {
		err = os.WriteFile(os.Args[1]+".key", priv, 0o600)
	}
	if err == nil {
		err = os.WriteFile(os.Args[1]+".pub", pub, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
