package report

import (
	"bytes"
	"crypto"
	"encoding/json"
	"errors"
	"testing"
)

// FuzzFinding: decision.json findings from any producer never panic.
func FuzzFinding(f *testing.F) {
	f.Add([]byte(`{"ruleId":"PL001","severity":"error","message":"m","pos":{"file":"pinline.yaml","line":3,"column":1}}`))
	f.Add([]byte(`{"rule":"X","msg":"m","position":{"file":"f"},"waiver":{"expiry":"2026-01-01","reason":"r"}}`))
	f.Add([]byte(`{"id":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var fd Finding
		if err := json.Unmarshal(b, &fd); err == nil {
			_ = fd.Where()
		}
	})
}

// FuzzVerifyPack: arbitrary archives are rejected without panicking, and
// nothing unsigned is ever accepted.
func FuzzVerifyPack(f *testing.F) {
	k := newKey(f)
	root := f.TempDir()
	writeRun(f, root, fixtureSpecs()[2], k)
	rep, err := Build(f.Context(), Options{RunsDir: root, Now: fixtureNow})
	if err != nil {
		f.Fatal(err)
	}
	var pack bytes.Buffer
	if err := WritePack(f.Context(), &pack, rep, PackOptions{Signer: ECDSASigner{Key: k}, Now: fixtureNow}); err != nil {
		f.Fatal(err)
	}
	f.Add(pack.Bytes())
	f.Add([]byte{0x1f, 0x8b})
	checker := KeyChecker{Keys: []crypto.PublicKey{&k.PublicKey}}
	f.Fuzz(func(t *testing.T, b []byte) {
		res, err := VerifyPack(t.Context(), bytes.NewReader(b), checker)
		if err == nil && !bytes.Equal(b, pack.Bytes()) && res.Files == 0 {
			t.Fatal("accepted an empty pack")
		}
		if err != nil && !errors.Is(err, ErrPackInvalid) {
			t.Fatalf("non-verification error: %v", err)
		}
	})
}
