package report

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pinline/pinline/record"
)

// goodRuns writes runs whose evidence all verifies with key.
func goodRuns(t *testing.T, key *ecdsaKey) string {
	t.Helper()
	root := t.TempDir()
	for _, rs := range fixtureSpecs() {
		if rs.tamper || rs.corrupt {
			continue
		}
		writeRun(t, root, rs, key)
	}
	return root
}

func makePack(t *testing.T, runsDir string, signer *ecdsaKey, gatewayLog string) []byte {
	t.Helper()
	rep, err := Build(t.Context(), Options{RunsDir: runsDir, Now: fixtureNow})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WritePack(t.Context(), &buf, rep, PackOptions{Signer: signerOf(t, signer), GatewayLog: gatewayLog, Now: fixtureNow}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type entry struct {
	hdr  *tar.Header
	data []byte
}

// rewrite applies edit to the entries of a pack and re-tars it.
func rewrite(t *testing.T, pack []byte, edit func([]entry) []entry) []byte {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(pack))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	var ents []entry
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		ents = append(ents, entry{h, b})
	}
	ents = edit(ents)
	var out bytes.Buffer
	gw := gzip.NewWriter(&out)
	tw := tar.NewWriter(gw)
	for _, e := range ents {
		e.hdr.Size = int64(len(e.data))
		if err := tw.WriteHeader(e.hdr); err != nil {
			t.Fatal(err)
		}
		tw.Write(e.data)
	}
	tw.Close()
	gw.Close()
	return out.Bytes()
}

func flipByte(name string) func([]entry) []entry {
	return func(es []entry) []entry {
		for i := range es {
			if es[i].hdr.Name == name {
				es[i].data = bytes.Clone(es[i].data)
				es[i].data[len(es[i].data)/2] ^= 0x01
			}
		}
		return es
	}
}

func TestVerifyPack(t *testing.T) {
	t.Parallel()
	buildKey, packKey, otherKey := newKey(t), newKey(t), newKey(t)
	runs := goodRuns(t, buildKey)
	gw := filepath.Join(t.TempDir(), "audit.jsonl")
	writeFile(t, gw, []byte(`{"time":"2026-11-02T09:00:01Z","identity":"spiffe://example.test/ci/trusted","tier":"trusted","bytes":1200}
{"time":"2025-01-01T00:00:00Z","identity":"old","tier":"trusted"}
`))
	pack := makePack(t, runs, packKey, gw)
	keys := PackKeys{Manifest: verifiersOf(t, packKey), Provenance: verifiersOf(t, buildKey)}
	const run1 = "runs/20261102T090000Z-a1b2c3/"

	res, err := VerifyPack(t.Context(), bytes.NewReader(pack), keys)
	if err != nil {
		t.Fatalf("untouched pack: %v", err)
	}
	if len(res.Runs) != 4 || len(res.Signed) != 1 || len(res.Unsigned) != 1 || !res.Predicate.GatewayLog || len(res.Predicate.PolicyBundles) != 1 {
		t.Errorf("result = %+v", res)
	}

	tests := []struct {
		name    string
		pack    []byte
		keys    PackKeys
		file    string
		problem PackProblem
	}{
		{"changed run.json", rewrite(t, pack, flipByte(run1+"run.json")), keys, run1 + "run.json", ProblemChanged},
		{"changed log", rewrite(t, pack, flipByte(run1+"logs/test.log")), keys, run1 + "logs/test.log", ProblemChanged},
		{"changed sbom", rewrite(t, pack, flipByte(run1+"sbom.cdx.json")), keys, run1 + "sbom.cdx.json", ProblemChanged},
		{"changed gateway log", rewrite(t, pack, flipByte(PackGatewayLog)), keys, PackGatewayLog, ProblemChanged},
		{"removed file", rewrite(t, pack, func(es []entry) []entry {
			var out []entry
			for _, e := range es {
				if e.hdr.Name != run1+"decision.json" {
					out = append(out, e)
				}
			}
			return out
		}), keys, run1 + "decision.json", ProblemMissing},
		{"added file", rewrite(t, pack, func(es []entry) []entry {
			return append(es, entry{&tar.Header{Name: run1 + "extra.txt", Mode: 0o644, Typeflag: tar.TypeReg}, []byte("hi")})
		}), keys, run1 + "extra.txt", ProblemAdded},
		{"changed manifest", rewrite(t, pack, flipByte(PackManifest)), keys, PackManifest, ProblemSignature},
		{"removed manifest", rewrite(t, pack, func(es []entry) []entry { return es[1:] }), keys, PackManifest, ProblemMissing},
		{"wrong key", pack, PackKeys{Manifest: verifiersOf(t, otherKey), Provenance: keys.Provenance}, PackManifest, ProblemSignature},
		{"build key missing", pack, PackKeys{Manifest: keys.Manifest, Provenance: verifiersOf(t, packKey)}, run1 + "provenance.intoto.json", ProblemSignature},
		// Key roles: a build key is never a pack key, even when passed as
		// both (the CLI refuses that; the library checks the roles given).
		{"pack signed with a build key", makePack(t, runs, buildKey, gw), keys, PackManifest, ProblemSignature},
		{"entry before the manifest", rewrite(t, pack, func(es []entry) []entry { return append(es[1:2:2], append([]entry{es[0]}, es[2:]...)...) }), keys, PackManifest, ProblemMissing},
		{"symlink entry", rewrite(t, pack, func(es []entry) []entry {
			return append(es, entry{&tar.Header{Name: "evil", Linkname: "/etc/passwd", Typeflag: tar.TypeSymlink}, nil})
		}), keys, "evil", ProblemMalformed},
		{"path traversal", rewrite(t, pack, func(es []entry) []entry {
			return append(es, entry{&tar.Header{Name: "../evil", Mode: 0o644, Typeflag: tar.TypeReg}, []byte("x")})
		}), keys, "../evil", ProblemMalformed},
		{"not gzip", []byte("plain text"), keys, "(archive)", ProblemMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res, err := VerifyPack(t.Context(), bytes.NewReader(tt.pack), tt.keys)
			if !errors.Is(err, ErrPackInvalid) {
				t.Fatalf("err = %v, want ErrPackInvalid", err)
			}
			var pe *PackError
			if !errors.As(err, &pe) || pe.File != tt.file || pe.Problem != tt.problem {
				t.Errorf("first problem = %v, want %s: %s (all: %v)", pe, tt.file, tt.problem, res.Problems)
			}
			if !strings.Contains(err.Error(), tt.file) {
				t.Errorf("error %q does not name %s", err, tt.file)
			}
		})
	}
}

// TestVerifyPackEveryByte flips each byte of one small file in turn: every
// single change must fail.
func TestVerifyPackEveryByte(t *testing.T) {
	t.Parallel()
	k, pk := newKey(t), newKey(t)
	pack := makePack(t, goodRuns(t, k), pk, "")
	keys := PackKeys{Manifest: verifiersOf(t, pk), Provenance: verifiersOf(t, k)}
	name := "runs/20261104T090000Z-c3d4e5/decision.json"
	var size int
	rewrite(t, pack, func(es []entry) []entry {
		for _, e := range es {
			if e.hdr.Name == name {
				size = len(e.data)
			}
		}
		return es
	})
	for i := 0; i < size; i += 7 {
		p := rewrite(t, pack, func(es []entry) []entry {
			for j := range es {
				if es[j].hdr.Name == name {
					es[j].data = bytes.Clone(es[j].data)
					es[j].data[i] ^= 0x20
				}
			}
			return es
		})
		if _, err := VerifyPack(t.Context(), bytes.NewReader(p), keys); err == nil || !strings.Contains(err.Error(), name) {
			t.Fatalf("byte %d changed: err = %v", i, err)
		}
	}
}

// TestPackOfFixturesFailsOnForgedProvenance: the fixture run whose
// provenance was altered after signing makes the pack fail, named.
func TestPackOfFixturesFailsOnForgedProvenance(t *testing.T) {
	t.Parallel()
	k := newKey(t)
	pack := makePack(t, filepath.Join("testdata", "runs"), k, "")
	res, err := VerifyPack(t.Context(), bytes.NewReader(pack), PackKeys{Manifest: verifiersOf(t, k), Provenance: fixtureVerifiers(t)})
	want := "runs/20261105T090000Z-d4e5f6/provenance.intoto.json"
	if err == nil || len(res.Problems) != 1 || res.Problems[0].File != want || res.Problems[0].Problem != ProblemSignature {
		t.Errorf("err = %v, problems = %v; want one signature problem on %s", err, res.Problems, want)
	}
	if len(res.Predicate.Skipped) != 1 {
		t.Errorf("skipped = %v, want the corrupt run", res.Predicate.Skipped)
	}
}

func TestWritePackNeedsSigner(t *testing.T) {
	t.Parallel()
	if err := WritePack(t.Context(), io.Discard, &Report{}, PackOptions{}); err == nil {
		t.Error("WritePack without signer succeeded")
	}
	vs := verifiersOf(t, newKey(t))
	for _, keys := range []PackKeys{{}, {Manifest: vs}, {Provenance: vs}} {
		if _, err := VerifyPack(t.Context(), bytes.NewReader(nil), keys); err == nil || errors.Is(err, ErrPackInvalid) {
			t.Errorf("VerifyPack with keys %+v: %v, want a usage error", keys, err)
		}
	}
}

// TestVerifyPackEvidenceNameEscapes: a signed pack whose run.json names
// evidence outside its run folder is rejected on run.json, and the named
// file is never looked up (not even another run's matching SBOM).
func TestVerifyPackEvidenceNameEscapes(t *testing.T) {
	t.Parallel()
	const (
		victim = "20261104T090000Z-c3d4e5"
		other  = "20261102T090000Z-a1b2c3"
	)
	k := newKey(t)
	keys := PackKeys{Manifest: verifiersOf(t, k), Provenance: verifiersOf(t, k)}
	otherSBOM, err := os.ReadFile(filepath.Join(goodRuns(t, k), other, record.SBOMFile))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		sbom   string
		sha256 string
		prov   string
	}{
		{"parent of parent", "../../x", sha([]byte("x")), ""},
		{"absolute", "/etc/passwd", sha([]byte("x")), ""},
		{"other run with its digest", "../" + other + "/" + record.SBOMFile, sha(otherSBOM), ""},
		{"escape after cleaning", "logs/../../" + other + "/" + record.SBOMFile, sha(otherSBOM), ""},
		{"provenance without digest", record.SBOMFile, "", "../../" + PackManifest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			runs := goodRuns(t, k)
			runJSON := filepath.Join(runs, victim, record.RunFile)
			b, err := os.ReadFile(runJSON)
			if err != nil {
				t.Fatal(err)
			}
			var run record.Run
			if err := json.Unmarshal(b, &run); err != nil {
				t.Fatal(err)
			}
			run.Evidence.SBOM, run.Evidence.Provenance = tt.sbom, tt.prov
			if tt.sha256 != "" {
				run.Evidence.SBOMSHA256 = tt.sha256
			}
			writeJSON(t, runJSON, run)
			pack := makePack(t, runs, k, "")

			res, err := VerifyPack(t.Context(), bytes.NewReader(pack), keys)
			if !errors.Is(err, ErrPackInvalid) {
				t.Fatalf("err = %v, want ErrPackInvalid", err)
			}
			want := "runs/" + victim + "/" + record.RunFile
			if len(res.Problems) != 1 {
				t.Fatalf("problems = %v, want one on %s", res.Problems, want)
			}
			pe := res.Problems[0]
			if pe.File != want || pe.Problem != ProblemMalformed || !strings.Contains(pe.Detail, "escapes the run directory") {
				t.Errorf("problem = %v, want %s: %s: escapes the run directory", pe, want, ProblemMalformed)
			}
			bad := tt.sbom
			if tt.prov != "" {
				bad = tt.prov
			}
			if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), strconv.Quote(bad)) {
				t.Errorf("error %q does not name %s and %q", err, want, bad)
			}
		})
	}
}
