package report

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/pinline/pinline/attest"
	"github.com/pinline/pinline/record"
)

// Limits on what VerifyPack reads from an untrusted archive. Entries are
// hashed as streams; only the manifest (first), run.json and provenance
// envelopes are held in memory, each up to its limit and one at a time, so
// a pack of any size verifies in well under 64 MiB (docs/report.md).
const (
	maxPackEntries    = 100_000
	maxManifestBytes  = 16 << 20
	maxBufferedBytes  = 8 << 20 // a run.json or a provenance envelope
	maxPackEntryBytes = 8 << 30
	maxPackBytes      = 64 << 30
)

// ErrPackInvalid is wrapped by every verification failure of a pack
// (exit 1); other errors from VerifyPack are operational.
var ErrPackInvalid = errors.New("evidence pack verification failed")

// PackProblem says what is wrong with one file of a pack.
type PackProblem string

// Problems VerifyPack reports.
const (
	ProblemMissing   PackProblem = "missing"         // in the manifest, not in the archive
	ProblemChanged   PackProblem = "digest mismatch" // content differs from the manifest
	ProblemAdded     PackProblem = "not in manifest" // in the archive, not in the manifest
	ProblemSignature PackProblem = "signature"       // DSSE signature does not verify
	ProblemMalformed PackProblem = "malformed"       // unreadable archive, entry or statement
	ProblemEvidence  PackProblem = "evidence digest" // run.json's evidence digest does not match
)

// PackError is one verification failure, naming the file.
type PackError struct {
	File    string
	Problem PackProblem
	Detail  string
}

func (e *PackError) Error() string {
	if e.Detail == "" {
		return fmt.Sprintf("%s: %s", e.File, e.Problem)
	}
	return fmt.Sprintf("%s: %s: %s", e.File, e.Problem, e.Detail)
}

// Unwrap makes every PackError match ErrPackInvalid.
func (e *PackError) Unwrap() error { return ErrPackInvalid }

// PackResult is what a verified (or rejected) pack contains.
type PackResult struct {
	Files     int           `json:"files"`
	Runs      []string      `json:"runs"`
	Predicate PackPredicate `json:"predicate"`
	// Signed and Unsigned list the run provenance files by state; every
	// signed one verified when Problems is empty.
	Signed   []string     `json:"signed"`
	Unsigned []string     `json:"unsigned"`
	Problems []*PackError `json:"problems"`
}

// PackKeys are the two key roles of a pack. Manifest verifies the pack
// manifest (the pack-signing key, `verify --pack-key`); Provenance verifies
// each run's provenance (the build keys, `--key`). A build key is never a
// pack key: a pack signed with one is refused.
type PackKeys struct {
	Manifest   []Verifier
	Provenance []Verifier
}

// packRun is what VerifyPack keeps of a packed run.json.
type packRun struct {
	dir string
	run record.Run
}

// VerifyPack checks a pack written by WritePack. The first entry must be
// the manifest; its signature is checked with keys.Manifest before anything
// else in the archive is read. Then every entry is hashed as a stream
// against the manifest (none missing, none added), each run's provenance
// signature is checked with keys.Provenance and run.json's evidence digests
// against the manifest. Only files whose digest matches the signed manifest
// are parsed. It returns an error wrapping ErrPackInvalid (and each
// *PackError) when anything fails; the result lists every problem found.
func VerifyPack(ctx context.Context, r io.Reader, keys PackKeys) (*PackResult, error) {
	if len(keys.Manifest) == 0 {
		return nil, errors.New("verify pack: a pack-signing key (--pack-key) is required")
	}
	if len(keys.Provenance) == 0 {
		return nil, errors.New("verify pack: a build key (--key) is required to check the runs' provenance")
	}
	v := &packVerifier{keys: keys, res: &PackResult{Runs: []string{}, Signed: []string{}, Unsigned: []string{}, Problems: []*PackError{}}}
	if err := v.read(ctx, r); err != nil {
		var pe *PackError
		if !errors.As(err, &pe) {
			return nil, err
		}
		v.res.Problems = append(v.res.Problems, pe)
		return v.done()
	}
	return v.done()
}

type packVerifier struct {
	keys PackKeys
	res  *PackResult
	// subjects are the manifest's names and SHA-256 (hex); seen marks the
	// entries read.
	subjects map[string]string
	order    []string
	seen     map[string]bool
	runs     []packRun
	// provenance holds the verdict of each provenance-shaped entry:
	// "signed", "unsigned" or the problem.
	provenance map[string]*PackError
}

func (v *packVerifier) fail(file string, p PackProblem, detail string) {
	v.res.Problems = append(v.res.Problems, &PackError{File: file, Problem: p, Detail: detail})
}

func (v *packVerifier) done() (*PackResult, error) {
	if len(v.res.Problems) == 0 {
		return v.res, nil
	}
	errs := make([]error, len(v.res.Problems))
	for i, p := range v.res.Problems {
		errs[i] = p
	}
	return v.res, errors.Join(errs...)
}

// read walks the archive. A *PackError return is structural (the archive
// cannot be read on) and ends verification.
func (v *packVerifier) read(ctx context.Context, r io.Reader) error {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return &PackError{File: "(archive)", Problem: ProblemMalformed, Detail: err.Error()}
	}
	defer gz.Close()
	tr := tar.NewReader(gz)
	var total int64
	for n := 0; ; n++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			if n == 0 {
				return &PackError{File: PackManifest, Problem: ProblemMissing, Detail: "empty archive, no signed manifest"}
			}
			break
		}
		if err != nil {
			return &PackError{File: "(archive)", Problem: ProblemMalformed, Detail: err.Error()}
		}
		name := hdr.Name
		switch {
		case hdr.Typeflag == tar.TypeDir && n > 0:
			continue
		case hdr.Typeflag != tar.TypeReg:
			return &PackError{File: name, Problem: ProblemMalformed, Detail: "not a regular file"}
		case !isCleanName(name):
			return &PackError{File: name, Problem: ProblemMalformed, Detail: "unsafe path"}
		case n >= maxPackEntries:
			return &PackError{File: name, Problem: ProblemMalformed, Detail: fmt.Sprintf("more than %d entries", maxPackEntries)}
		case hdr.Size < 0 || hdr.Size > maxPackEntryBytes || total+hdr.Size > maxPackBytes:
			return &PackError{File: name, Problem: ProblemMalformed, Detail: fmt.Sprintf("entry of %d bytes is too large", hdr.Size)}
		}
		total += hdr.Size
		if n == 0 {
			if name != PackManifest {
				return &PackError{File: PackManifest, Problem: ProblemMissing, Detail: fmt.Sprintf("the first entry is %q, not the signed manifest", name)}
			}
			if err := v.manifest(ctx, tr, hdr.Size); err != nil {
				return err
			}
			continue
		}
		if err := v.entry(ctx, tr, name, hdr.Size); err != nil {
			return err
		}
	}
	v.res.Files = len(v.seen) + 1
	for _, name := range v.order {
		if !v.seen[name] {
			v.fail(name, ProblemMissing, "")
		}
	}
	for _, pr := range v.runs {
		v.checkRun(pr)
	}
	return nil
}

// manifest reads and verifies the first entry, the signed manifest.
func (v *packVerifier) manifest(ctx context.Context, r io.Reader, size int64) error {
	if size > maxManifestBytes {
		return &PackError{File: PackManifest, Problem: ProblemMalformed, Detail: fmt.Sprintf("manifest of %d bytes exceeds %d", size, maxManifestBytes)}
	}
	b, err := io.ReadAll(io.LimitReader(r, size))
	if err != nil {
		return &PackError{File: PackManifest, Problem: ProblemMalformed, Detail: err.Error()}
	}
	env, err := attest.ParseEnvelope(b)
	if err != nil {
		return &PackError{File: PackManifest, Problem: ProblemSignature, Detail: err.Error()}
	}
	if _, err := env.Verify(ctx, toAttest(v.keys.Manifest)); err != nil {
		return &PackError{File: PackManifest, Problem: ProblemSignature, Detail: "not signed by a pack key (--pack-key): " + err.Error()}
	}
	if env.PayloadType != attest.PayloadTypeInToto {
		return &PackError{File: PackManifest, Problem: ProblemMalformed, Detail: fmt.Sprintf("payloadType %q", env.PayloadType)}
	}
	var st struct {
		Subject []struct {
			Name   string            `json:"name"`
			Digest map[string]string `json:"digest"`
		} `json:"subject"`
		PredicateType string        `json:"predicateType"`
		Predicate     PackPredicate `json:"predicate"`
	}
	if err := json.Unmarshal(env.Payload, &st); err != nil || st.PredicateType != PackPredicateType {
		return &PackError{File: PackManifest, Problem: ProblemMalformed, Detail: fmt.Sprintf("not an evidence-pack statement (predicateType %q, %v)", st.PredicateType, err)}
	}
	for _, id := range st.Predicate.Runs {
		if !record.ValidRunID(id) {
			return &PackError{File: PackManifest, Problem: ProblemMalformed, Detail: fmt.Sprintf("invalid run id %.80q", id)}
		}
	}
	v.subjects = make(map[string]string, len(st.Subject))
	v.seen = make(map[string]bool, len(st.Subject))
	v.provenance = map[string]*PackError{}
	for _, s := range st.Subject {
		d := s.Digest["sha256"]
		switch {
		case !isCleanName(s.Name) || s.Name == PackManifest:
			return &PackError{File: PackManifest, Problem: ProblemMalformed, Detail: fmt.Sprintf("subject %.80q is not a pack entry name", s.Name)}
		case v.subjects[s.Name] != "":
			return &PackError{File: PackManifest, Problem: ProblemMalformed, Detail: fmt.Sprintf("subject %q listed twice", s.Name)}
		case len(d) != 64:
			return &PackError{File: PackManifest, Problem: ProblemMalformed, Detail: fmt.Sprintf("subject %q has no sha256", s.Name)}
		}
		v.subjects[s.Name] = d
		v.order = append(v.order, s.Name)
	}
	v.res.Predicate = st.Predicate
	v.res.Runs = append(v.res.Runs, st.Predicate.Runs...)
	return nil
}

// entry hashes one entry as a stream against the manifest; run.json and
// provenance envelopes (bounded) are kept for the run checks, and parsed
// only when their digest matches.
func (v *packVerifier) entry(ctx context.Context, r io.Reader, name string, size int64) error {
	if v.seen[name] {
		return &PackError{File: name, Problem: ProblemMalformed, Detail: "duplicate entry"}
	}
	want, listed := v.subjects[name]
	if !listed {
		v.fail(name, ProblemAdded, "")
		return nil // tar.Reader skips the content
	}
	v.seen[name] = true
	runDir, isRunFile := runEntryDir(name)
	if strings.HasPrefix(name, packRuns+"/") && !isRunFile {
		return &PackError{File: name, Problem: ProblemMalformed, Detail: "not under runs/<run-id>/ with a valid run id"}
	}
	keep := isRunFile && (name == path.Join(runDir, record.RunFile) || strings.HasSuffix(name, ".intoto.json"))
	h := sha256.New()
	var buf *bytes.Buffer
	w := io.Writer(h)
	if keep {
		if size > maxBufferedBytes {
			v.fail(name, ProblemMalformed, fmt.Sprintf("%d bytes exceeds %d for a record or envelope", size, maxBufferedBytes))
			return nil
		}
		buf = bytes.NewBuffer(make([]byte, 0, size))
		w = io.MultiWriter(h, buf)
	}
	n, err := io.Copy(w, io.LimitReader(r, size))
	if err != nil || n != size {
		return &PackError{File: name, Problem: ProblemMalformed, Detail: fmt.Sprintf("read %d of %d bytes: %v", n, size, err)}
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		v.fail(name, ProblemChanged, fmt.Sprintf("sha256 %s, manifest says %s", got, want))
		return nil
	}
	if buf == nil {
		return nil
	}
	if path.Base(name) == record.RunFile {
		var run record.Run
		if err := json.Unmarshal(buf.Bytes(), &run); err != nil {
			v.fail(name, ProblemMalformed, err.Error())
			return nil
		}
		if run.ID != path.Base(runDir) {
			v.fail(name, ProblemMalformed, fmt.Sprintf("id %.80q is not its directory %q", run.ID, path.Base(runDir)))
			return nil
		}
		v.runs = append(v.runs, packRun{dir: runDir, run: run})
		return nil
	}
	v.provenance[name] = v.checkEnvelope(ctx, name, buf.Bytes())
	return nil
}

// checkEnvelope verifies a run's provenance envelope with the build keys;
// nil means signed and verified, a ProblemSignature with Detail "unsigned"
// an envelope without signatures.
func (v *packVerifier) checkEnvelope(ctx context.Context, name string, b []byte) *PackError {
	env, err := attest.ParseEnvelope(b)
	if err != nil {
		return &PackError{File: name, Problem: ProblemMalformed, Detail: err.Error()}
	}
	if len(env.Signatures) == 0 {
		return &PackError{File: name, Problem: ProblemSignature, Detail: unsignedDetail}
	}
	if _, err := env.Verify(ctx, toAttest(v.keys.Provenance)); err != nil {
		return &PackError{File: name, Problem: ProblemSignature, Detail: err.Error()}
	}
	return nil
}

const unsignedDetail = "envelope has no signatures"

// checkRun re-checks one run's provenance verdict and run.json's evidence
// digests against the manifest.
func (v *packVerifier) checkRun(pr packRun) {
	runPath := path.Join(pr.dir, record.RunFile)
	run := &pr.run
	digest := func(name, want string) {
		if name == "" {
			return
		}
		if !inRunDir(name) {
			v.fail(runPath, ProblemMalformed, fmt.Sprintf("evidence name %q escapes the run directory", name))
			return
		}
		if want == "" {
			return
		}
		p := path.Join(pr.dir, name)
		got, ok := v.subjects[p]
		if !ok {
			v.fail(p, ProblemMissing, "named by run.json")
			return
		}
		if got != strings.TrimPrefix(want, "sha256:") {
			v.fail(p, ProblemEvidence, fmt.Sprintf("sha256 %s, run.json says %s", got, want))
		}
	}
	digest(run.Evidence.SBOM, run.Evidence.SBOMSHA256)
	digest(run.Evidence.Provenance, run.Evidence.ProvenanceSHA256)
	prov := path.Join(pr.dir, run.ProvenanceName())
	if _, ok := v.subjects[prov]; !ok {
		if run.Evidence.Signed {
			v.fail(prov, ProblemMissing, "run.json says signed")
		}
		return
	}
	if !v.seen[prov] {
		return // reported missing
	}
	verdict, checked := v.provenance[prov]
	switch {
	case !checked:
		// A digest mismatch was reported, or the name is not one
		// VerifyPack buffers (*.intoto.json).
		if !strings.HasSuffix(prov, ".intoto.json") {
			v.fail(prov, ProblemMalformed, "provenance name must end in .intoto.json")
		}
	case verdict == nil:
		v.res.Signed = append(v.res.Signed, prov)
	case verdict.Problem == ProblemSignature && verdict.Detail == unsignedDetail && !run.Evidence.Signed:
		v.res.Unsigned = append(v.res.Unsigned, prov)
	case verdict.Detail == unsignedDetail:
		v.fail(prov, ProblemSignature, "run.json says signed, envelope has no signatures")
	default:
		v.res.Problems = append(v.res.Problems, verdict)
	}
}

// runEntryDir returns "runs/<id>" for an entry under a valid run id.
func runEntryDir(name string) (string, bool) {
	rest, ok := strings.CutPrefix(name, packRuns+"/")
	if !ok {
		return "", false
	}
	id, _, ok := strings.Cut(rest, "/")
	if !ok || !record.ValidRunID(id) {
		return "", false
	}
	return packRuns + "/" + id, true
}

func isCleanName(n string) bool {
	return n != "" && !strings.HasPrefix(n, "/") && path.Clean(n) == n && n != "." && !strings.HasPrefix(n, "../") && n != ".." &&
		!strings.ContainsAny(n, "\\\x00")
}

// inRunDir reports whether a name read from run.json stays inside the
// run's folder: relative, and not leaving it after cleaning.
func inRunDir(name string) bool {
	if name == "" || path.IsAbs(name) {
		return false
	}
	c := path.Clean(name)
	return c != "." && c != ".." && !strings.HasPrefix(c, "../")
}
