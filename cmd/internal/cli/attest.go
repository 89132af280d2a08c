package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/pinline/pinline/attest"
	"github.com/pinline/pinline/oci"
	"github.com/pinline/pinline/record"
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
	Image      string
	Run        string
	registry   registryOptions
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
	c.Flags().StringVar(&o.Image, "image", "", "attach to an image instead of writing a file: host/repository@sha256:HEX is the subject; the bundle becomes an OCI referrer and the envelope a layer of cosign's sha256-HEX.att tag")
	c.Flags().StringVar(&o.Run, "run", "", "with --image: attach this run directory's signed provenance and SBOM (the image must be one the run published) instead of signing a predicate")
	o.registry.AddFlags(c.Flags())
}

func newAttestCmd(s *streams) *cobra.Command {
	var o attestOptions
	c := &cobra.Command{
		Use:   "attest (--predicate FILE --type T (--subject FILE... | --image HOST/REPO@sha256:HEX) --key KEY | --image HOST/REPO@sha256:HEX --run DIR) [--bundle] [-o FILE]",
		Short: "Sign an in-toto attestation about artifacts built elsewhere (like cosign attest-blob), or attach one to an image (like cosign attest)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runAttest(cmd, s, &o)
		},
	}
	o.AddFlags(c)
	return c
}

func runAttest(cmd *cobra.Command, s *streams, o *attestOptions) error {
	if o.Run != "" {
		return runAttachRun(cmd, s, o)
	}
	switch {
	case o.TlogUpload:
		return usageErr(errors.New("--tlog-upload is not implemented: pinline signs offline; upload the bundle with another tool"))
	case o.Predicate == "":
		return usageErr(errors.New("--predicate is required"))
	case len(o.Subjects) == 0 && o.Image == "":
		return usageErr(errors.New("at least one --subject (or --image) is required"))
	case len(o.Subjects) > 0 && o.Image != "":
		return usageErr(errors.New("--image is the subject: drop --subject"))
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
	var img name.Digest
	if o.Image != "" {
		if img, err = oci.ParseDigestRef(o.Image); err != nil {
			return err
		}
		subjects = append(subjects, attest.Subject{Name: img.Context().String(), SHA256: strings.TrimPrefix(img.DigestStr(), "sha256:")})
	}
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
	if o.Image != "" {
		if err := attachToImage(cmd, s, o, img, oci.Evidence{Bundle: bundle, Envelope: env, PredicateType: ptype}); err != nil {
			return err
		}
		if o.Output == "" {
			return nil
		}
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

// attachToImage attaches ev to img and says where.
func attachToImage(cmd *cobra.Command, s *streams, o *attestOptions, img name.Digest, ev oci.Evidence) error {
	ro, err := o.registry.ociOptions(s)
	if err != nil {
		return err
	}
	a, err := oci.Attach(cmd.Context(), img, ev, ro)
	if err != nil {
		if errors.Is(err, oci.ErrNoImage) || errors.Is(err, oci.ErrHostile) {
			return err
		}
		return opErr(err)
	}
	for _, r := range a.Referrers {
		fmt.Fprintf(s.errOut, "attached referrer %s to %s\n", r, a.Subject)
	}
	if a.AttTag != "" {
		fmt.Fprintf(s.errOut, "attached to %s\n", a.AttTag)
	}
	return nil
}

// runAttachRun attaches a run directory's signed provenance and SBOM to an
// image the run published (attest --image REF@sha256:... --run DIR).
func runAttachRun(cmd *cobra.Command, s *streams, o *attestOptions) error {
	switch {
	case o.Image == "":
		return usageErr(errors.New("--run needs --image HOST/REPO@sha256:HEX"))
	case o.Predicate != "" || len(o.Subjects) > 0 || o.key.Keys[0] != "" || o.tsa.Server != "" || o.Output != "":
		return usageErr(errors.New("--run attaches what the run signed: drop --predicate, --subject, --key, --timestamp-server and -o"))
	}
	img, err := oci.ParseDigestRef(o.Image)
	if err != nil {
		return err
	}
	rec, err := record.ReadRun(o.Run)
	if err != nil {
		return usageErr(err)
	}
	if !slices.ContainsFunc(rec.Published, func(p record.PublishedImage) bool {
		return p.Repository == img.Context().String() && p.Digest == img.DigestStr()
	}) {
		return usageErr(fmt.Errorf("run %s did not publish %s: its provenance does not attest it", o.Run, img))
	}
	if !rec.Evidence.Signed {
		return usageErr(fmt.Errorf("run %s has no signed provenance", o.Run))
	}
	read := func(n string) ([]byte, error) {
		if n == "" {
			return nil, nil
		}
		root, err := os.OpenRoot(o.Run)
		if err != nil {
			return nil, err
		}
		defer root.Close()
		return root.ReadFile(n)
	}
	ev := oci.Evidence{PredicateType: attest.PredicateSLSAProvenanceV1}
	for _, f := range []struct {
		name string
		dst  *[]byte
	}{{rec.ProvenanceName(), &ev.Envelope}, {rec.Evidence.Bundle, &ev.Bundle}, {rec.Evidence.SBOM, &ev.SBOM}} {
		b, err := read(f.name)
		if err != nil {
			return usageErr(fmt.Errorf("run %s: %w", o.Run, err))
		}
		*f.dst = b
	}
	return attachToImage(cmd, s, o, img, ev)
}
