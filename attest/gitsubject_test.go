package attest

import (
	"errors"
	"testing"
	"time"
)

// TestGitSubject: a pushed commit is a subject with a gitCommit digest
// (SHA-1 or SHA-256 object id), never beside a sha256, never a branch name.
func TestGitSubject(t *testing.T) {
	t.Parallel()
	const commit = "0123456789abcdef0123456789abcdef01234567"
	d := sampleDescription(time.Now())
	d.Subjects = append(d.Subjects, Subject{Name: "git+https://git.example.test/a.git@refs/heads/main", GitCommit: commit})
	st, err := Statement(d)
	if err != nil {
		t.Fatal(err)
	}
	last := st.Subject[len(st.Subject)-1]
	if last.Digest["gitCommit"] != commit || len(last.Digest) != 1 {
		t.Errorf("git subject digest %v", last.Digest)
	}
	for _, bad := range []Subject{{Name: "g", GitCommit: "main"}, {Name: "g", GitCommit: commit, SHA256: sha("x")}, {Name: "g", GitCommit: commit[:39]}} {
		d := sampleDescription(time.Now())
		d.Subjects = append(d.Subjects, bad)
		if _, err := Statement(d); !errors.Is(err, ErrInvalidDescription) {
			t.Errorf("%+v: err = %v, want ErrInvalidDescription", bad, err)
		}
	}
}
