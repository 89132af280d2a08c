package cli

import (
	"errors"
	"fmt"
	"os"

	"github.com/pinline/pinline/attest"
	"github.com/pinline/pinline/internal/atomicfile"
	"github.com/spf13/cobra"
)

type keysGenerateOptions struct {
	Prefix     string
	AllowEmpty bool
	Force      bool
}

func (o *keysGenerateOptions) AddFlags(c *cobra.Command) {
	c.Flags().StringVar(&o.Prefix, "output-key-prefix", "cosign", "write PREFIX.key and PREFIX.pub")
	c.Flags().BoolVar(&o.AllowEmpty, "allow-empty-password", false, "accept an empty password")
	c.Flags().BoolVar(&o.Force, "force", false, "overwrite existing key files")
}

func newKeysCmd(s *streams) *cobra.Command {
	c := &cobra.Command{Use: "keys", Short: "Manage cosign-compatible signing keys"}
	var o keysGenerateOptions
	gen := &cobra.Command{
		Use:   "generate",
		Short: "Generate a cosign-compatible key pair (password from COSIGN_PASSWORD or a prompt)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runKeysGenerate(cmd, s, o)
		},
	}
	o.AddFlags(gen)
	c.AddCommand(gen)
	return c
}

func runKeysGenerate(cmd *cobra.Command, s *streams, o keysGenerateOptions) error {
	keyPath, pubPath := o.Prefix+".key", o.Prefix+".pub"
	// Lstat: a symlink (dangling or not) is an existing entry, never a
	// path to write through.
	for _, p := range []string{keyPath, pubPath} {
		st, err := os.Lstat(p)
		switch {
		case err == nil && st.IsDir():
			return usageErr(fmt.Errorf("%s is a directory", p))
		case err == nil && !o.Force:
			return usageErr(fmt.Errorf("%s exists; pass --force to overwrite", p))
		}
	}
	priv, pub, err := attest.GenerateKeyPair(cmd.Context(), passwordFunc(s, true), o.AllowEmpty)
	if err != nil {
		if errors.Is(err, attest.ErrEmptyPassword) {
			return usageErr(fmt.Errorf("%w (--allow-empty-password)", err))
		}
		return err
	}
	// A new file each (temp file + rename): the mode is exactly 0600 /
	// 0644 whatever an overwritten file had, and a symlink at the path is
	// replaced, not followed.
	if err := atomicfile.Write(keyPath, priv, 0o600); err != nil {
		return opErr(err)
	}
	if err := atomicfile.Write(pubPath, pub, 0o644); err != nil {
		return opErr(err)
	}
	fmt.Fprintf(s.errOut, "Private key written to %s\nPublic key written to %s\n", keyPath, pubPath)
	return nil
}
