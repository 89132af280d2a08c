package report

import (
	"bytes"
	"fmt"
	"io"
	"testing"
)

// writeManyRuns writes n realistic runs (the fixture mix, signed with key).
func writeManyRuns(tb testing.TB, root string, n int, key *ecdsaKey) {
	tb.Helper()
	specs := fixtureSpecs()
	for i := range n {
		rs := specs[i%len(specs)]
		rs.id = fmt.Sprintf("%s-%04d", rs.id, i)
		rs.day = i % 30
		writeRun(tb, root, rs, key)
	}
}

// BenchmarkReport1000 reads 1,000 runs (re-checking every signature) and
// renders HTML, Markdown and JSON. Target: < 2 s per iteration.
func BenchmarkReport1000(b *testing.B) {
	root := b.TempDir()
	key := newKey(b)
	writeManyRuns(b, root, 1000, key)
	vs := verifiersOf(b, key)
	b.ResetTimer()
	for b.Loop() {
		rep, err := Build(b.Context(), Options{RunsDir: root, Verifiers: vs, Now: fixtureNow})
		if err != nil {
			b.Fatal(err)
		}
		if len(rep.Runs)+len(rep.Errors) != 1000 {
			b.Fatalf("%d runs", len(rep.Runs))
		}
		for _, f := range Formats {
			if err := Render(io.Discard, rep, f); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkVerifyPack1000 verifies a pack of 1,000 runs: every digest and
// every signed provenance.
func BenchmarkVerifyPack1000(b *testing.B) {
	root := b.TempDir()
	key, packKey := newKey(b), newKey(b)
	specs := fixtureSpecs()
	for i := range 1000 {
		rs := specs[i%len(specs)]
		if rs.tamper || rs.corrupt {
			rs = specs[0]
		}
		rs.id = fmt.Sprintf("%s-%04d", rs.id, i)
		writeRun(b, root, rs, key)
	}
	rep, err := Build(b.Context(), Options{RunsDir: root, Now: fixtureNow})
	if err != nil {
		b.Fatal(err)
	}
	var pack bytes.Buffer
	if err := WritePack(b.Context(), &pack, rep, PackOptions{Signer: signerOf(b, packKey), Now: fixtureNow}); err != nil {
		b.Fatal(err)
	}
	keys := PackKeys{Manifest: verifiersOf(b, packKey), Provenance: verifiersOf(b, key)}
	b.ResetTimer()
	for b.Loop() {
		if _, err := VerifyPack(b.Context(), bytes.NewReader(pack.Bytes()), keys); err != nil {
			b.Fatal(err)
		}
	}
}
