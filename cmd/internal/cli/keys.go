package cli

import (
	"errors"
	"fmt"
	"os"

	"github.com/pinline/pinline/attest"
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
	if !o.Force {
		for _, p := range []string{keyPath, pubPath} {
			if _, err := os.Stat(p); err == nil {
				return usageErr(fmt.Errorf("%s exists; pass --force to overwrite", p))
			}
		}
	}
	priv, pub, err := attest.GenerateKeyPair(cmd.Context(), passwordFunc(s, true), o.AllowEmpty)
	if err != nil {
		if errors.Is(err, attest.ErrEmptyPassword) {
			return usageErr(fmt.Errorf("%w (--allow-empty-password)", err))
		}
		return err
	}
	if err := os.WriteFile(keyPath, priv, 0o600); err != nil {
		return opErr(err)
	}
	if err := os.WriteFile(pubPath, pub, 0o644); err != nil {
		return opErr(err)
	}
	fmt.Fprintf(s.errOut, "Private key written to %s\nPublic key written to %s\n", keyPath, pubPath)
	return nil
}
