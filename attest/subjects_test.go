package attest

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func hexOf(b []byte) string { return hex.EncodeToString(b) }

// TestSubjectsAnyAlgorithm: subjects and artifacts match on any digest
// algorithm they share, and must agree on all of them.
func TestSubjectsAnyAlgorithm(t *testing.T) {
	t.Parallel()
	k := newTestKey(t, "k")
	data := []byte("artifact bytes")
	s256, s512 := sha256.Sum256(data), sha512.Sum512(data)
	o384 := sha512.Sum384(data)
	file := filepath.Join(t.TempDir(), "a.bin")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	stmt := func(digests ...map[string]string) []Attestation {
		subs := []any{}
		for _, d := range digests {
			subs = append(subs, map[string]any{"name": "a.bin", "digest": d})
		}
		p, _ := json.Marshal(map[string]any{"_type": StatementTypeV1, "predicateType": PredicateSLSAProvenanceV1, "subject": subs, "predicate": map[string]any{}})
		env, _, err := SignStatement(context.Background(), p, k)
		if err != nil {
			t.Fatal(err)
		}
		atts, err := ParseAttestations("a.intoto.json", env)
		if err != nil {
			t.Fatal(err)
		}
		return atts
	}
	fromFile := func(atts []Attestation) Artifact {
		a, err := FileDigests("a.bin", file, ExtraAlgorithms(atts))
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	sha512Only := stmt(map[string]string{"sha512": hexOf(s512[:])})
	both := stmt(map[string]string{"sha256": hexOf(s256[:]), "sha512": hexOf(s512[:])})
	conflict := stmt(map[string]string{"sha256": hexOf(s256[:]), "sha512": sha("x") + sha("y")})
	gitOnly := stmt(map[string]string{"gitCommit": "0123456789abcdef0123456789abcdef01234567"})
	// A pushed commit beside a file: the git subject is not an artifact
	// and does not make the statement unusable.
	withGit := stmt(map[string]string{"sha256": hexOf(s256[:])}, map[string]string{"gitCommit": "0123456789abcdef0123456789abcdef01234567"})
	badGit := stmt(map[string]string{"sha256": hexOf(s256[:])}, map[string]string{"gitCommit": "main"})
	for _, c := range []struct {
		name string
		atts []Attestation
		art  Artifact
		want error
	}{
		{"sha512-only subject, file hashed with sha512", sha512Only, fromFile(sha512Only), nil},
		{"sha512-only subject, --digest sha512", sha512Only, Artifact{Name: "d", Digests: map[string]string{"sha512": hexOf(s512[:])}}, nil},
		{"sha512-only subject, --digest sha256", sha512Only, Artifact{Name: "d", SHA256: hexOf(s256[:])}, ErrSubjectMismatch},
		{"sha256+sha512 subject, --digest sha384", both, Artifact{Name: "d", Digests: map[string]string{"sha384": hexOf(o384[:])}}, ErrSubjectMismatch},
		{"sha256+sha512 subject, file", both, fromFile(both), nil},
		{"sha256+sha512 subject, --digest sha512", both, Artifact{Name: "d", Digests: map[string]string{"sha512": hexOf(s512[:])}}, nil},
		{"algorithms disagree", conflict, fromFile(conflict), ErrSubjectMismatch},
		{"no usable digest", gitOnly, fromFile(gitOnly), ErrNoSubjects},
		{"file subject beside a git subject", withGit, fromFile(withGit), nil},
		{"git subject without a commit id", badGit, fromFile(badGit), ErrNoSubjects},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			rep, err := Verify(context.Background(), &VerifyOptions{Verifiers: []Verifier{k.verifier}, Artifacts: []Artifact{c.art}}, c.atts)
			if c.want == nil {
				if err != nil || !rep.Verified || len(rep.Artifacts[0].CoveredBy) != 1 {
					t.Fatalf("got %v %+v", err, rep)
				}
				return
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("want %v, got %v", c.want, err)
			}
		})
	}
	for s, ok := range map[string]bool{"sha256:" + sha("a"): true, "sha512:" + hexOf(s512[:]): true, "sha384:" + hexOf(o384[:]): true,
		"sha512:" + sha("a"): false, "md5:00": false, "sha256": false, "SHA256:" + sha("a"): false} {
		if _, _, err := ParseArtifactDigest(s); (err == nil) != ok {
			t.Errorf("ParseArtifactDigest(%q): %v", s, err)
		}
	}
}

func TestConstraintMatchers(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		want, got string
		ok        bool
	}{
		{"https://github.com/o/r/.github/workflows/b.yml", "https://github.com/o/r/.github/workflows/b.yml@refs/tags/v1", true},
		{"https://github.com/o/r/.github/workflows/b.yml@refs/tags/v1", "https://github.com/o/r/.github/workflows/b.yml@refs/tags/v1", true},
		{"https://github.com/o/r/.github/workflows/b.yml@refs/tags/v2", "https://github.com/o/r/.github/workflows/b.yml@refs/tags/v1", false},
		{"https://github.com/o/r/.github/workflows/b.yml", "https://github.com/o/r/.github/workflows/b.yml2@refs/tags/v1", false},
		{"https://github.com/o/r/.github/workflows/b", "https://github.com/o/r/.github/workflows/b.yml@v1", false},
	} {
		if got := matchBuilderID(c.want, c.got); got != c.ok {
			t.Errorf("matchBuilderID(%q, %q) = %v", c.want, c.got, got)
		}
	}
	for _, c := range []struct {
		want, got string
		ok        bool
	}{
		{"github.com/o/r", "https://github.com/o/r", true},
		{"github.com/o/r", "git+https://github.com/o/r.git", true},
		{"github.com/O/R", "https://github.com/o/r/", true},
		{"git+https://example.test/acme/app", "git+https://example.test/acme/app", true},
		{"github.com/o/r", "https://github.com/o/r@refs/heads/main", true},
		{"github.com/o/r", "https://github.com/o/r2", false},
		{"github.com/o/r", "https://github.com/o/r/sub", false},
		{"github.com/o/r", "", false},
		{"EXAMPLE.test/acme/app", "git+https://example.test/acme/app", true},
		{"example.test/Acme/app", "git+https://example.test/acme/app", false},
	} {
		if got := matchSourceURI(c.want, c.got); got != c.ok {
			t.Errorf("matchSourceURI(%q, %q) = %v", c.want, c.got, got)
		}
	}
}
