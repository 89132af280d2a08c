package report

import (
	"bytes"
	"errors"
	"path/filepath"
	"testing"

	"github.com/pinline/pinline/record"
)

// FuzzReadDecision: any decision.json is read without panicking, and a
// decision that reads as allowed never carries a violation.
func FuzzReadDecision(f *testing.F) {
	f.Add([]byte(`{"allow":true,"violations":[],"warnings":[],"waived":[],"inputDigest":"sha256:aa","bundleDigest":"","gates":["policy"]}`))
	f.Add([]byte(`{"allow":true,"violations":[{"ruleId":"X","pos":{"file":"f","line":1}}]}`))
	f.Add([]byte(`{"allow":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, record.DecisionFile), b)
		var problems []string
		pi := readDecision(dir, &record.Run{}, &problems)
		if pi.Allow && len(pi.Violations) > 0 {
			t.Fatalf("allowed with violations: %s", b)
		}
		for _, v := range pi.Violations {
			_ = v.Where()
		}
	})
}

// FuzzVerifyPack: arbitrary archives are rejected without panicking, and
// nothing unsigned is ever accepted.
func FuzzVerifyPack(f *testing.F) {
	k, pk := newKey(f), newKey(f)
	root := f.TempDir()
	writeRun(f, root, fixtureSpecs()[2], k)
	rep, err := Build(f.Context(), Options{RunsDir: root, Now: fixtureNow})
	if err != nil {
		f.Fatal(err)
	}
	var pack bytes.Buffer
	if err := WritePack(f.Context(), &pack, rep, PackOptions{Signer: signerOf(f, pk), Now: fixtureNow}); err != nil {
		f.Fatal(err)
	}
	f.Add(pack.Bytes())
	f.Add([]byte{0x1f, 0x8b})
	keys := PackKeys{Manifest: verifiersOf(f, pk), Provenance: verifiersOf(f, k)}
	f.Fuzz(func(t *testing.T, b []byte) {
		res, err := VerifyPack(t.Context(), bytes.NewReader(b), keys)
		if err == nil && !bytes.Equal(b, pack.Bytes()) && res.Files == 0 {
			t.Fatal("accepted an empty pack")
		}
		if err != nil && !errors.Is(err, ErrPackInvalid) {
			t.Fatalf("non-verification error: %v", err)
		}
	})
}
