package cli

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/pflag"

	"github.com/pinline/pinline/report"
)

// packVerifyOptions is the hook the verify command composes for
// `pinline verify --pack FILE.tar.gz --key KEY`: embed it in verify's
// options, call AddFlags from verify's AddFlags, and at the top of verify's
// RunE:
//
//	if o.Pack != "" {
//		return runVerifyPack(cmd.Context(), s, o.Pack, keys)
//	}
//
// where keys are the --key paths (public keys; pass the build key(s) and
// the pack-signing key).
type packVerifyOptions struct {
	Pack string
}

func (o *packVerifyOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Pack, "pack", "", "verify an evidence pack (tar.gz from 'pinline report --pack') instead of one attestation")
}

// runVerifyPack re-checks every digest and signature in an evidence pack.
// Exit 1 names each file that failed; 2 for bad keys or a missing file.
func runVerifyPack(ctx context.Context, s *streams, pack string, keys []string) error {
	if len(keys) == 0 {
		return usageErr(errors.New("--pack needs --key"))
	}
	kc, err := loadChecker(ctx, keys)
	if err != nil {
		return err
	}
	f, err := os.Open(pack)
	if err != nil {
		return usageErr(fmt.Errorf("--pack: %w", err))
	}
	defer f.Close()
	res, err := report.VerifyPack(ctx, f, kc)
	if errors.Is(err, report.ErrPackInvalid) {
		for _, p := range res.Problems {
			fmt.Fprintf(s.errOut, "FAIL %s\n", p)
		}
		return deniedErr(fmt.Errorf("evidence pack %s: %d problem(s)", pack, len(res.Problems)))
	}
	if err != nil {
		return opErr(err)
	}
	fmt.Fprintf(s.out, "Verified evidence pack %s: %s, %s, %d signed provenance, %d unsigned\n",
		pack, count(res.Files, "file"), count(len(res.Runs), "run"), len(res.Signed), len(res.Unsigned))
	return nil
}

// count is n and the noun, plural unless n is 1: "1 run", "3 runs".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
