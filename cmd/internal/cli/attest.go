package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pinline/pinline/attest"
	"github.com/spf13/cobra"
)

type attestOptions struct {
	key        keyOptions
	Predicate  string
	Type       string
	Subjects   []string
	Bundle     bool
	Output     string
	TlogUpload bool
	tsa        timestampOptions
}

func (o *attestOptions) AddFlags(c *cobra.Command) {
	o.key.addSignFlag(c)
	c.Flags().StringVar(&o.Predicate, "predicate", "", "predicate JSON file (required)")
	c.Flags().StringVar(&o.Type, "type", "slsaprovenance1", "predicate type: slsaprovenance1, cyclonedx or a URI")
	c.Flags().StringArrayVar(&o.Subjects, "subject", nil, "artifact file the statement is about (repeatable, required)")
	c.Flags().BoolVar(&o.Bundle, "bundle", false, "write a sigstore bundle v0.3 instead of a DSSE envelope")
	c.Flags().StringVarP(&o.Output, "output", "o", "", "output file (default stdout)")
	c.Flags().BoolVar(&o.TlogUpload, "tlog-upload", false, "upload to a transparency log (not implemented: pinline signs offline)")
	o.tsa.AddFlags(c)
}

func newAttestCmd(s *streams) *cobra.Command {
	var o attestOptions
	c := &cobra.Command{
		Use:   "attest --predicate FILE --type T --subject FILE... --key KEY [--bundle] [-o FILE]",
		Short: "Sign an in-toto attestation about artifacts built elsewhere (like cosign attest-blob)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runAttest(cmd, s, &o)
		},
	}
	o.AddFlags(c)
	return c
}

func runAttest(cmd *cobra.Command, s *streams, o *attestOptions) error {
	switch {
	case o.TlogUpload:
		return usageErr(errors.New("--tlog-upload is not implemented: pinline signs offline; upload the bundle with another tool"))
	case o.Predicate == "":
		return usageErr(errors.New("--predicate is required"))
	case len(o.Subjects) == 0:
		return usageErr(errors.New("at least one --subject is required"))
	case o.key.Keys[0] == "":
		return usageErr(errors.New("--key is required"))
	case o.tsa.Server != "" && !o.Bundle:
		return usageErr(errors.New("--timestamp-server needs --bundle (a DSSE envelope has no place for the timestamp)"))
	}
	ptype, err := attest.PredicateTypeFor(o.Type)
	if err != nil {
		return usageErr(err)
	}
	pred, err := os.ReadFile(o.Predicate)
	if err != nil {
		return usageErr(err)
	}
	var subjects []attest.Subject
	for _, f := range o.Subjects {
		d, err := fileSHA256(f)
		if err != nil {
			return usageErr(err)
		}
		subjects = append(subjects, attest.Subject{Name: filepath.Base(f), SHA256: d})
	}
	payload, err := attest.PredicateStatement(pred, ptype, subjects)
	if err != nil {
		return usageErr(fmt.Errorf("%s: %w", o.Predicate, err))
	}
	signer, err := attest.LoadSigner(cmd.Context(), o.key.Keys[0], passwordFunc(s, false))
	if err != nil {
		return err
	}
	env, bundle, err := attest.SignStatementWith(cmd.Context(), payload, signer, o.tsa.signOptions())
	if err != nil {
		return err
	}
	out := env
	if o.Bundle {
		out = bundle
	}
	out = append(out, '\n')
	if o.Output == "" {
		_, err = s.out.Write(out)
	} else {
		err = os.WriteFile(o.Output, out, 0o644)
	}
	if err != nil {
		return opErr(err)
	}
	return nil
}

func fileSHA256(path string) (string, error) {
	d, _, err := attest.FileSHA256(path)
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}

// timestampOptions is --timestamp-server, shared by attest and run.
type timestampOptions struct {
	Server string
}

func (o *timestampOptions) AddFlags(c *cobra.Command) {
	c.Flags().StringVar(&o.Server, "timestamp-server", "", "RFC 3161 timestamp authority URL: its timestamp over the signature goes into the sigstore bundle")
}

func (o *timestampOptions) signOptions() attest.SignOptions {
	if o.Server == "" {
		return attest.SignOptions{}
	}
	return attest.SignOptions{Timestamper: &attest.TSAClient{URL: o.Server}}
}
