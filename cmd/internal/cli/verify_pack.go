package cli

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/pflag"

	"github.com/pinline/pinline/attest"
	"github.com/pinline/pinline/report"
)

// packVerifyOptions are verify's evidence-pack flags:
// `pinline verify --pack FILE.tar.gz --pack-key PACK.pub --key BUILD.pub`.
// The two key roles are distinct: --pack-key verifies the pack manifest
// (the key of `pinline report --sign-key`), --key the runs' provenance.
type packVerifyOptions struct {
	Pack     string
	PackKeys []string
}

func (o *packVerifyOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Pack, "pack", "", "verify an evidence pack (tar.gz from 'pinline report --pack') instead of one attestation; needs --pack-key and --key")
	fs.StringArrayVar(&o.PackKeys, "pack-key", nil, "with --pack: trusted key of the pack manifest (the report --sign-key's public key; never a build key); repeatable")
}

// runVerifyPack re-checks every digest and signature in an evidence pack:
// the manifest with packKeys, the runs' provenance with buildKeys. Exit 1
// names each file that failed; 2 for missing or shared keys or a missing
// file.
func runVerifyPack(ctx context.Context, s *streams, pack string, packKeys, buildKeys []string) error {
	if len(packKeys) == 0 {
		return usageErr(errors.New("--pack needs --pack-key (the public key of the pack-signing key)"))
	}
	if len(buildKeys) == 0 {
		return usageErr(errors.New("--pack needs --key (the build keys that signed the runs' provenance)"))
	}
	if err := distinctKeyRoles(packKeys, buildKeys); err != nil {
		return usageErr(err)
	}
	manifest, err := attest.LoadVerifiers(ctx, packKeys)
	if err != nil {
		return keyErr("--pack-key", err)
	}
	provenance, err := attest.LoadVerifiers(ctx, buildKeys)
	if err != nil {
		return keyErr("--key", err)
	}
	keys := report.PackKeys{Manifest: report.Verifiers(manifest), Provenance: report.Verifiers(provenance)}
	f, err := os.Open(pack)
	if err != nil {
		return usageErr(fmt.Errorf("--pack: %w", err))
	}
	defer f.Close()
	res, err := report.VerifyPack(ctx, f, keys)
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

// distinctKeyRoles refuses a key given both as --pack-key and --key: by
// reference, and for key files by public key, so a build key can never
// vouch for a pack.
func distinctKeyRoles(packKeys, buildKeys []string) error {
	pubs := map[string]string{}
	hint := func(ref string) string {
		b, err := os.ReadFile(ref)
		if err != nil {
			return "" // KMS URI or unreadable: compared by reference; loading reports errors
		}
		pub, err := attest.PublicKeyFromPEM(b, ref)
		if err != nil {
			return ""
		}
		h, err := attest.KeyHint(pub)
		if err != nil {
			return ""
		}
		return h
	}
	for _, ref := range buildKeys {
		pubs[ref] = ref
		if h := hint(ref); h != "" {
			pubs[h] = ref
		}
	}
	for _, ref := range packKeys {
		b, same := pubs[ref]
		if !same {
			if h := hint(ref); h != "" {
				b, same = pubs[h]
			}
		}
		if same {
			return fmt.Errorf("--pack-key %s is also a build key (--key %s): the pack manifest needs a key of its own", ref, b)
		}
	}
	return nil
}

// count is n and the noun, plural unless n is 1: "1 run", "3 runs".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
