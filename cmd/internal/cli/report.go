package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pinline/pinline/attest"
	"github.com/pinline/pinline/record"
	"github.com/pinline/pinline/report"
)

// reportOptions are the flags of `pinline report`.
type reportOptions struct {
	Runs       string
	Since      string
	Format     string
	Keys       []string
	Output     string
	Pack       string
	SignKey    string
	GatewayLog string
}

func (o *reportOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Runs, "runs", filepath.Join(".pinline", "runs"), "directory of run records")
	fs.StringVar(&o.Since, "since", "", "only runs started at or after DATE (YYYY-MM-DD or RFC 3339)")
	fs.StringVar(&o.Format, "format", "", "output format: html, md or json (default: from -o's extension, else md)")
	fs.StringArrayVar(&o.Keys, "key", nil, "public key, certificate or KMS URI to re-check provenance signatures; repeatable")
	fs.StringVarP(&o.Output, "output", "o", "", "write the report to FILE instead of stdout")
	fs.StringVar(&o.Pack, "pack", "", "also write a signed evidence pack (tar.gz) to FILE")
	fs.StringVar(&o.SignKey, "sign-key", "", "key signing the pack manifest, distinct from the build keys: cosign.key (password from COSIGN_PASSWORD) or a KMS URI")
	fs.StringVar(&o.GatewayLog, "gateway-log", "", "gateway audit log (JSON lines) to include in the pack")
}

func newReportCmd(s *streams) *cobra.Command {
	o := &reportOptions{}
	c := &cobra.Command{
		Use:   "report",
		Short: "Audit report over run records (HTML, Markdown, JSON) and signed evidence packs",
		Long: `report reads every run under --runs and renders an audit report: counts by
status and tier, policy pass rate, violations by rule, waivers and their
expiry, pinning over time, and per run the identity, tasks, policy decision,
SBOM summary, provenance subjects, the signature verdict re-checked now with
--key, and a SLSA Build track checklist. --pack also writes a tar.gz evidence
pack whose manifest of SHA-256 digests is a signed in-toto attestation; check
it with 'pinline verify --pack FILE --pack-key PACK_KEY.pub --key BUILD_KEY.pub':
the pack-signing key (--sign-key) is a key of its own, never a build key.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runReport(cmd.Context(), s, o)
		},
	}
	o.AddFlags(c.Flags())
	return c
}

func runReport(ctx context.Context, s *streams, o *reportOptions) error {
	format := o.Format
	if format == "" {
		switch strings.ToLower(filepath.Ext(o.Output)) {
		case ".html", ".htm":
			format = "html"
		case ".json":
			format = "json"
		default:
			format = "md"
		}
	}
	if !slices.Contains(report.Formats, format) {
		return usageErr(fmt.Errorf("--format %q: valid formats are %q", format, report.Formats))
	}
	var since time.Time
	if o.Since != "" {
		t, err := parseSince(o.Since)
		if err != nil {
			return usageErr(err)
		}
		since = t
	}
	if o.Pack != "" && o.SignKey == "" {
		return usageErr(errors.New("--pack needs --sign-key to sign the pack manifest"))
	}
	opts := report.Options{RunsDir: o.Runs, Since: since, Progress: progress(s.errOut)}
	if len(o.Keys) > 0 {
		vs, err := attest.LoadVerifiers(ctx, o.Keys)
		if err != nil {
			return keyErr("--key", err)
		}
		opts.Verifiers = report.Verifiers(vs)
	}
	var signer attest.Signer
	if o.Pack != "" {
		sg, err := loadSigner(ctx, s, o.SignKey)
		if err != nil {
			return err
		}
		signer = sg
	}
	rep, err := report.Build(ctx, opts)
	if errors.Is(err, record.ErrNoRunsDir) {
		return usageErr(err)
	}
	if err != nil {
		return opErr(err)
	}
	for _, e := range rep.Errors {
		fmt.Fprintf(s.errOut, "pinline: warning: %s: %s\n", e.Path, e.Error)
	}
	var buf bytes.Buffer
	if err := report.Render(&buf, rep, format); err != nil {
		return opErr(err)
	}
	if err := writeOut(s.out, o.Output, buf.Bytes()); err != nil {
		return opErr(err)
	}
	if o.Pack != "" {
		// Streamed into a temporary file renamed into place: never held
		// in memory, never left half-written.
		if err := writeFileAtomic(o.Pack, func(w io.Writer) error {
			return report.WritePack(ctx, w, rep, report.PackOptions{Signer: signer, GatewayLog: o.GatewayLog})
		}); err != nil {
			return opErr(err)
		}
		fmt.Fprintf(s.errOut, "pinline: evidence pack %s: %s\n", o.Pack, count(len(rep.Runs), "run"))
	}
	return nil
}

// progress reports reading progress on stderr: a rewritten line on a TTY,
// otherwise a line every 500 runs; silent for fewer than 50 runs.
func progress(w io.Writer) func(done, total int) {
	tty := isTTY(w)
	return func(done, total int) {
		switch {
		case total < 50:
		case tty:
			fmt.Fprintf(w, "\rreading runs %d/%d", done, total)
			if done == total {
				fmt.Fprintln(w)
			}
		case done%500 == 0 || done == total:
			fmt.Fprintf(w, "reading runs %d/%d\n", done, total)
		}
	}
}

func parseSince(v string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, time.DateOnly} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("--since %q: want YYYY-MM-DD or RFC 3339", v)
}

// writeOut writes b to path atomically, or to w when path is empty.
func writeOut(w io.Writer, path string, b []byte) error {
	if path == "" || path == "-" {
		_, err := w.Write(b)
		return err
	}
	return writeFileAtomic(path, func(f io.Writer) error {
		_, err := f.Write(b)
		return err
	})
}

// loadSigner loads the pack-signing key through attest: an encrypted
// cosign key (password from COSIGN_PASSWORD) or a KMS URI.
func loadSigner(ctx context.Context, s *streams, ref string) (attest.Signer, error) {
	pass := func() ([]byte, error) {
		p, ok := EnvCosignPassword.Lookup(s.env)
		if !ok {
			return nil, fmt.Errorf("%s is not set", EnvCosignPassword.Name)
		}
		return []byte(p), nil
	}
	sg, err := attest.LoadSigner(ctx, ref, pass)
	if err != nil {
		return nil, keyErr("--sign-key", fmt.Errorf("%w (the password comes from %s)", err, EnvCosignPassword.Name))
	}
	return sg, nil
}

// keyErr names the flag of a key error; attest classes it (bad input →
// exit 2, KMS or other operational failures → exit 3).
func keyErr(flag string, err error) error {
	return fmt.Errorf("%s: %w", flag, err)
}
