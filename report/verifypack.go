package report

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	"github.com/pinline/pinline/record"
)

// Limits on what VerifyPack reads from an untrusted archive.
const (
	maxPackEntries   = 200_000
	maxPackFileBytes = 512 << 20
	maxPackBytes     = 4 << 30
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

// VerifyPack checks a pack written by WritePack: the manifest signature,
// every file's SHA-256 against the manifest, no file missing or added,
// every run provenance signature and run.json's evidence digests. It
// returns an error wrapping ErrPackInvalid (and each *PackError) when
// anything fails; the result lists every problem found.
func VerifyPack(ctx context.Context, r io.Reader, checker SignatureChecker) (*PackResult, error) {
	if checker == nil {
		return nil, errors.New("verify pack: a verification key is required")
	}
	res := &PackResult{Runs: []string{}, Signed: []string{}, Unsigned: []string{}, Problems: []*PackError{}}
	files, err := readPack(r)
	if err != nil {
		var pe *PackError
		if errors.As(err, &pe) {
			res.Problems = append(res.Problems, pe)
			return res, err
		}
		return nil, err
	}
	res.Files = len(files)
	fail := func(file string, p PackProblem, detail string) {
		res.Problems = append(res.Problems, &PackError{File: file, Problem: p, Detail: detail})
	}
	done := func() (*PackResult, error) {
		if len(res.Problems) == 0 {
			return res, nil
		}
		errs := make([]error, len(res.Problems))
		for i, p := range res.Problems {
			errs[i] = p
		}
		return res, errors.Join(errs...)
	}
	env, ok := files[PackManifest]
	if !ok {
		fail(PackManifest, ProblemMissing, "no signed manifest")
		return done()
	}
	pt, payload, err := checker.VerifyDSSE(ctx, env)
	if err != nil {
		fail(PackManifest, ProblemSignature, err.Error())
		return done()
	}
	var st struct {
		Subject []struct {
			Name   string            `json:"name"`
			Digest map[string]string `json:"digest"`
		} `json:"subject"`
		PredicateType string        `json:"predicateType"`
		Predicate     PackPredicate `json:"predicate"`
	}
	if pt != InTotoPayloadType {
		fail(PackManifest, ProblemMalformed, fmt.Sprintf("payloadType %q", pt))
		return done()
	}
	if err := json.Unmarshal(payload, &st); err != nil || st.PredicateType != PackPredicateType {
		fail(PackManifest, ProblemMalformed, fmt.Sprintf("not an evidence-pack statement (predicateType %q, %v)", st.PredicateType, err))
		return done()
	}
	res.Predicate = st.Predicate
	res.Runs = append(res.Runs, st.Predicate.Runs...)
	listed := map[string]bool{PackManifest: true}
	for _, s := range st.Subject {
		listed[s.Name] = true
		b, ok := files[s.Name]
		if !ok {
			fail(s.Name, ProblemMissing, "")
			continue
		}
		if got := sha256Hex(b); got != s.Digest["sha256"] {
			fail(s.Name, ProblemChanged, fmt.Sprintf("sha256 %s, manifest says %s", got, s.Digest["sha256"]))
		}
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if !listed[n] {
			fail(n, ProblemAdded, "")
		}
	}
	for _, n := range names {
		if listed[n] && path.Base(n) == record.RunFile && strings.HasPrefix(n, packRuns+"/") {
			checkPackedRun(ctx, path.Dir(n), files, checker, res, fail)
		}
	}
	return done()
}

// checkPackedRun re-checks one run's provenance signature and run.json's
// evidence digests inside the pack.
func checkPackedRun(ctx context.Context, dir string, files map[string][]byte, checker SignatureChecker, res *PackResult, fail func(string, PackProblem, string)) {
	runPath := path.Join(dir, record.RunFile)
	var run record.Run
	if err := json.Unmarshal(files[runPath], &run); err != nil {
		fail(runPath, ProblemMalformed, err.Error())
		return
	}
	digest := func(name, want string) {
		if name == "" {
			return
		}
		if !inRunDir(name) {
			fail(runPath, ProblemMalformed, fmt.Sprintf("evidence name %q escapes the run directory", name))
			return
		}
		if want == "" {
			return
		}
		p := path.Join(dir, name)
		b, ok := files[p]
		if !ok {
			fail(p, ProblemMissing, "named by run.json")
			return
		}
		if got := sha256Hex(b); got != strings.TrimPrefix(want, "sha256:") {
			fail(p, ProblemEvidence, fmt.Sprintf("sha256 %s, run.json says %s", got, want))
		}
	}
	digest(run.Evidence.SBOM, run.Evidence.SBOMSHA256)
	digest(run.Evidence.Provenance, run.Evidence.ProvenanceSHA256)
	prov := path.Join(dir, provName(&run))
	b, ok := files[prov]
	if !ok {
		if run.Evidence.Signed {
			fail(prov, ProblemMissing, "run.json says signed")
		}
		return
	}
	env, _, err := ParseEnvelope(b)
	if err != nil {
		fail(prov, ProblemMalformed, err.Error())
		return
	}
	if len(env.Signatures) == 0 {
		if run.Evidence.Signed {
			fail(prov, ProblemSignature, "run.json says signed, envelope has no signatures")
			return
		}
		res.Unsigned = append(res.Unsigned, prov)
		return
	}
	if _, _, err := checker.VerifyDSSE(ctx, b); err != nil {
		fail(prov, ProblemSignature, err.Error())
		return
	}
	res.Signed = append(res.Signed, prov)
}

// readPack reads every regular file of the gzipped tar into memory,
// rejecting unsafe names, duplicates, links and oversized entries.
func readPack(r io.Reader) (map[string][]byte, error) {
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, &PackError{File: "(archive)", Problem: ProblemMalformed, Detail: err.Error()}
	}
	defer gz.Close()
	tr := tar.NewReader(gz)
	files := map[string][]byte{}
	var total int64
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return files, nil
		}
		if err != nil {
			return nil, &PackError{File: "(archive)", Problem: ProblemMalformed, Detail: err.Error()}
		}
		name := hdr.Name
		switch {
		case hdr.Typeflag == tar.TypeDir:
			continue
		case hdr.Typeflag != tar.TypeReg:
			return nil, &PackError{File: name, Problem: ProblemMalformed, Detail: "not a regular file"}
		case !isCleanName(name):
			return nil, &PackError{File: name, Problem: ProblemMalformed, Detail: "unsafe path"}
		case hasKey(files, name):
			return nil, &PackError{File: name, Problem: ProblemMalformed, Detail: "duplicate entry"}
		case len(files) >= maxPackEntries:
			return nil, &PackError{File: name, Problem: ProblemMalformed, Detail: "too many entries"}
		case hdr.Size > maxPackFileBytes || total+hdr.Size > maxPackBytes:
			return nil, &PackError{File: name, Problem: ProblemMalformed, Detail: "too large"}
		}
		b, err := io.ReadAll(io.LimitReader(tr, hdr.Size))
		if err != nil {
			return nil, &PackError{File: name, Problem: ProblemMalformed, Detail: err.Error()}
		}
		total += int64(len(b))
		files[name] = b
	}
}

func isCleanName(n string) bool {
	return n != "" && !strings.HasPrefix(n, "/") && path.Clean(n) == n && n != "." && !strings.HasPrefix(n, "../") && n != ".."
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

func hasKey(m map[string][]byte, k string) bool { _, ok := m[k]; return ok }
