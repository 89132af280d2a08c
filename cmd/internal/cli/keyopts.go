package cli

import (
	"errors"
	"fmt"
	"os"

	"github.com/pinline/pinline/attest"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// keyOptions is the --key flag shared by attest, verify and run.
type keyOptions struct {
	Keys []string
}

func (o *keyOptions) addSignFlag(c *cobra.Command) {
	o.Keys = []string{""}
	c.Flags().StringVar(&o.Keys[0], "key", "", "signing key: cosign private key file or KMS URI (awskms://, gcpkms://, azurekms://, hashivault://)")
}

func (o *keyOptions) addVerifyFlag(c *cobra.Command) {
	c.Flags().StringArrayVar(&o.Keys, "key", nil, "trusted key (repeatable): public key PEM, certificate PEM (its key only; keyless evidence needs --trusted-root) or KMS URI")
}

// passwordFunc returns the password of an encrypted key: COSIGN_PASSWORD
// when set (even empty), otherwise a prompt on the terminal. Without both it
// is a usage error.
func passwordFunc(s *streams, confirm bool) attest.PasswordFunc {
	return func() ([]byte, error) {
		if p, ok := EnvCosignPassword.Lookup(s.env); ok {
			return []byte(p), nil
		}
		f, ok := s.in.(*os.File)
		if !ok || !term.IsTerminal(int(f.Fd())) {
			return nil, errors.New("no password: set " + EnvCosignPassword.Name + " or run on a terminal")
		}
		fmt.Fprint(s.errOut, "Enter password for private key: ")
		p, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(s.errOut)
		if err != nil {
			return nil, err
		}
		if confirm {
			fmt.Fprint(s.errOut, "Enter password for private key again: ")
			p2, err := term.ReadPassword(int(f.Fd()))
			fmt.Fprintln(s.errOut)
			if err != nil {
				return nil, err
			}
			if string(p) != string(p2) {
				return nil, errors.New("passwords do not match")
			}
		}
		return p, nil
	}
}
