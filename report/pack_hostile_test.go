package report

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pinline/pinline/attest"
	"github.com/pinline/pinline/record"
)

// forgePack writes a pack whose manifest the key really signs, over any
// entries and run ids: what a holder of the pack key, or a bug in WritePack,
// could produce. Hostile content must still be refused.
func forgePack(t *testing.T, k *ecdsa.PrivateKey, runs []string, ents []entry) []byte {
	t.Helper()
	subjects := []map[string]any{}
	for _, e := range ents {
		subjects = append(subjects, map[string]any{"name": e.hdr.Name, "digest": map[string]string{"sha256": sha(e.data)}})
	}
	stmt, err := json.Marshal(map[string]any{"_type": "https://in-toto.io/Statement/v1", "subject": subjects,
		"predicateType": PackPredicateType, "predicate": PackPredicate{CreatedAt: fixtureNow, Runs: runs, PolicyBundles: []string{}, Skipped: []LoadError{}}})
	if err != nil {
		t.Fatal(err)
	}
	env, err := attest.SignEnvelope(t.Context(), signerOf(t, k), attest.PayloadTypeInToto, stmt)
	if err != nil {
		t.Fatal(err)
	}
	envb, _ := json.Marshal(env)
	var out bytes.Buffer
	gw := gzip.NewWriter(&out)
	tw := tar.NewWriter(gw)
	for _, e := range append([]entry{regular(PackManifest, envb)}, ents...) {
		e.hdr.Size = int64(len(e.data))
		if err := tw.WriteHeader(e.hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	tw.Close()
	gw.Close()
	return out.Bytes()
}

func regular(name string, data []byte) entry {
	return entry{&tar.Header{Name: name, Mode: 0o644, Typeflag: tar.TypeReg}, data}
}

func wantProblem(t *testing.T, res *PackResult, err error, file string, p PackProblem, detail string) {
	t.Helper()
	if !errors.Is(err, ErrPackInvalid) {
		t.Fatalf("err = %v, want ErrPackInvalid", err)
	}
	for _, pe := range res.Problems {
		if pe.File == file && pe.Problem == p && strings.Contains(pe.Detail, detail) {
			return
		}
	}
	t.Errorf("problems = %v, want %s: %s: …%s…", res.Problems, file, p, detail)
}

// Run ids come from run.json: they never become archive paths that escape,
// neither when a pack is written nor when one is verified.
func TestPackRunIDs(t *testing.T) {
	t.Parallel()
	k, pk := newKey(t), newKey(t)
	keys := PackKeys{Manifest: verifiersOf(t, pk), Provenance: verifiersOf(t, k)}

	// A run.json claiming a traversal id is not read, so not packed.
	runs := goodRuns(t, k)
	evil := filepath.Join(runs, "evil")
	writeFile(t, filepath.Join(evil, record.RunFile), []byte(`{"id":"../../../tmp/evil","status":"succeeded"}`))
	rep, err := Build(t.Context(), Options{RunsDir: runs, Now: fixtureNow})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Errors) != 1 || !strings.Contains(rep.Errors[0].Error, "invalid id") {
		t.Fatalf("errors = %+v, want the traversal id refused", rep.Errors)
	}
	var pack bytes.Buffer
	if err := WritePack(t.Context(), &pack, rep, PackOptions{Signer: signerOf(t, pk), Now: fixtureNow}); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(pack.Bytes(), []byte("tmp/evil")) {
		t.Error("the pack names the traversal id")
	}
	if _, err := VerifyPack(t.Context(), bytes.NewReader(pack.Bytes()), keys); err != nil {
		t.Errorf("pack without the refused run: %v", err)
	}
	// WritePack checks ids itself, whoever built the report.
	for _, id := range []string{"../../x", "a/b", ".hidden", ""} {
		bad := &Report{Runs: []RunReport{{ID: id, Dir: filepath.Join(runs, "20261102T090000Z-a1b2c3")}}}
		if err := WritePack(t.Context(), io.Discard, bad, PackOptions{Signer: signerOf(t, pk), Now: fixtureNow}); err == nil || !strings.Contains(err.Error(), "invalid run id") {
			t.Errorf("WritePack with run id %q: %v, want invalid run id", id, err)
		}
	}

	// Signed packs with hostile ids are refused on verify.
	run := func(id string) []byte { return []byte(`{"id":"` + id + `","status":"succeeded"}`) }
	tests := []struct {
		name, file, detail string
		runs               []string
		ents               []entry
	}{
		{"predicate run id traversal", PackManifest, "invalid run id", []string{"../../etc"}, []entry{regular(PackReport, []byte("{}"))}},
		{"entry under a dot-dot id", "runs/..x/run.json", "valid run id", []string{}, []entry{regular("runs/..x/run.json", run("..x"))}},
		{"entry under a hidden id", "runs/.git/config", "valid run id", []string{}, []entry{regular("runs/.git/config", []byte("x"))}},
		{"subject that escapes", PackManifest, "not a pack entry name", []string{}, []entry{regular("../escape", []byte("x"))}},
		{"run.json for another run", "runs/a1/run.json", "is not its directory", []string{"a1"}, []entry{regular("runs/a1/run.json", run("b2"))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, err := VerifyPack(t.Context(), bytes.NewReader(forgePack(t, pk, tt.runs, tt.ents)), keys)
			wantProblem(t, res, err, tt.file, ProblemMalformed, tt.detail)
		})
	}
}

// Oversized entries are refused from their header, before their content is
// read; nothing unbounded is ever buffered.
func TestVerifyPackOversized(t *testing.T) {
	t.Parallel()
	k, pk := newKey(t), newKey(t)
	keys := PackKeys{Manifest: verifiersOf(t, pk), Provenance: verifiersOf(t, k)}

	t.Run("manifest", func(t *testing.T) {
		t.Parallel()
		var out bytes.Buffer
		gw, _ := gzip.NewWriterLevel(&out, gzip.BestSpeed)
		tw := tar.NewWriter(gw)
		big := bytes.Repeat([]byte(" "), maxManifestBytes+1)
		tw.WriteHeader(&tar.Header{Name: PackManifest, Mode: 0o644, Typeflag: tar.TypeReg, Size: int64(len(big))})
		tw.Write(big)
		tw.Close()
		gw.Close()
		res, err := VerifyPack(t.Context(), &out, keys)
		wantProblem(t, res, err, PackManifest, ProblemMalformed, "exceeds")
	})
	t.Run("header claims a terabyte", func(t *testing.T) {
		t.Parallel()
		good := forgePack(t, pk, []string{}, []entry{regular(PackReport, []byte("{}"))})
		// Same manifest, then an entry whose header claims 1 TiB and
		// whose content never comes.
		gz, _ := gzip.NewReader(bytes.NewReader(good))
		tr := tar.NewReader(gz)
		h, _ := tr.Next()
		man, _ := io.ReadAll(tr)
		var out bytes.Buffer
		gw := gzip.NewWriter(&out)
		tw := tar.NewWriter(gw)
		tw.WriteHeader(h)
		tw.Write(man)
		tw.WriteHeader(&tar.Header{Name: PackReport, Mode: 0o644, Typeflag: tar.TypeReg, Size: 1 << 40})
		tw.Flush()
		gw.Close()
		res, err := VerifyPack(t.Context(), &out, keys)
		wantProblem(t, res, err, PackReport, ProblemMalformed, "too large")
	})
	t.Run("run.json", func(t *testing.T) {
		t.Parallel()
		big := append([]byte(`{"id":"a1","error":"`), bytes.Repeat([]byte("x"), maxBufferedBytes)...)
		big = append(big, `"}`...)
		res, err := VerifyPack(t.Context(), bytes.NewReader(forgePack(t, pk, []string{"a1"}, []entry{regular("runs/a1/run.json", big)})), keys)
		wantProblem(t, res, err, "runs/a1/run.json", ProblemMalformed, "exceeds")
	})
}

// countingReader counts the bytes VerifyPack consumed.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// The manifest signature is checked before anything else is read: a pack
// whose manifest a build key signed is refused after its first entry, not
// after reading (or trusting) the rest.
func TestVerifyPackManifestFirst(t *testing.T) {
	t.Parallel()
	k, pk := newKey(t), newKey(t)
	runs := goodRuns(t, k)
	big := make([]byte, 16<<20)
	rand.NewChaCha8([32]byte{1}).Read(big)
	writeFile(t, filepath.Join(runs, "20261102T090000Z-a1b2c3", "logs", "big.log"), big)
	forged := makePack(t, runs, k, "") // signed with the build key
	cr := &countingReader{r: bytes.NewReader(forged)}
	res, err := VerifyPack(t.Context(), cr, PackKeys{Manifest: verifiersOf(t, pk), Provenance: verifiersOf(t, k)})
	wantProblem(t, res, err, PackManifest, ProblemSignature, "not signed by a pack key")
	if len(res.Problems) != 1 || res.Files != 0 || len(res.Runs) != 0 {
		t.Errorf("a pack with a bad manifest must say nothing else: %+v", res)
	}
	if n := cr.n.Load(); n > 1<<20 {
		t.Errorf("read %d bytes of a %d-byte pack before refusing its manifest", n, len(forged))
	}
}

// heapPeak samples the live heap every millisecond while f runs and returns
// the peak above the heap before it.
func heapPeak(f func()) uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	runtime.GC()
	base := read()
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			if v := read(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	f()
	close(stop)
	<-done
	if p := peak.Load(); p > base {
		return p - base
	}
	return 0
}

// TestVerifyPackMemoryBounded writes and verifies a pack larger than 64 MiB
// (96 MiB of incompressible logs) and measures the heap: both stay far
// below 64 MiB, because entries are hashed and copied as streams. Not
// parallel, so the heap is this test's alone.
func TestVerifyPackMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 96 MiB pack")
	}
	const limit = 64 << 20
	k, pk := newKey(t), newKey(t)
	runs := goodRuns(t, k)
	rng := rand.NewChaCha8([32]byte{2})
	chunk := make([]byte, 1<<20)
	for i := range 3 {
		p := filepath.Join(runs, "20261102T090000Z-a1b2c3", "logs", "big"+string(rune('a'+i))+".log")
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		for range 32 {
			rng.Read(chunk)
			if _, err := f.Write(chunk); err != nil {
				t.Fatal(err)
			}
		}
		f.Close()
	}
	chunk = nil
	rep, err := Build(t.Context(), Options{RunsDir: runs, Now: fixtureNow})
	if err != nil {
		t.Fatal(err)
	}
	packPath := filepath.Join(t.TempDir(), "pack.tar.gz")
	f, err := os.Create(packPath)
	if err != nil {
		t.Fatal(err)
	}
	writePeak := heapPeak(func() {
		if err := WritePack(t.Context(), f, rep, PackOptions{Signer: signerOf(t, pk), Now: fixtureNow}); err != nil {
			t.Error(err)
		}
	})
	f.Close()
	st, err := os.Stat(packPath)
	if err != nil || st.Size() <= limit {
		t.Fatalf("pack is %v bytes (%v), want more than 64 MiB", st.Size(), err)
	}
	f, err = os.Open(packPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var res *PackResult
	verifyPeak := heapPeak(func() {
		res, err = VerifyPack(t.Context(), f, PackKeys{Manifest: verifiersOf(t, pk), Provenance: verifiersOf(t, k)})
	})
	if err != nil || len(res.Signed) != 1 {
		t.Fatalf("verify: %v, %+v", err, res)
	}
	t.Logf("pack %.1f MiB: peak heap WritePack %.1f MiB, VerifyPack %.1f MiB", float64(st.Size())/(1<<20), float64(writePeak)/(1<<20), float64(verifyPeak)/(1<<20))
	if writePeak > limit || verifyPeak > limit {
		t.Errorf("peak heap WritePack %d, VerifyPack %d bytes; want ≤ %d", writePeak, verifyPeak, limit)
	}
}
