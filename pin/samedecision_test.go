package pin

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pinline/pinline/policy"
)

// pinCheckAgrees runs `pin --check` (offline) and the decision of
// `pinline check` over dir: the remote modules and dagger.lock entries pin
// would pin are exactly check's PL001, PL004 and PL009 findings, at the
// same positions, so pin --check fails exactly when check denies an
// unpinned module or a floating lock entry (of the base configuration or
// of any workspace environment overlay, check --env); and every duplicate
// dagger.json key is a PL027 finding at the occurrence both read.
func pinCheckAgrees(t *testing.T, dir string) (int, []string) {
	t.Helper()
	ctx := context.Background()
	rep, err := Run(ctx, Options{Root: dir, Check: true, Offline: true})
	res, cerr := policy.Check(ctx, policy.CheckOptions{Root: dir})
	if err != nil || cerr != nil {
		// Both reject the same files.
		if (err == nil) != (cerr == nil) {
			return 0, []string{fmt.Sprintf("pin: %v, check: %v", err, cerr)}
		}
		return 0, nil
	}
	var got, want []string
	for _, c := range rep.Changes {
		if c.Kind == "module" || path.Base(c.Pos.File) == "dagger.lock" {
			got = append(got, fmt.Sprintf("%s:%d:%d", c.Pos.File, c.Pos.Line, c.Pos.Column))
		}
	}
	dups := 0
	for _, v := range res.Decision.Violations {
		switch v.RuleID {
		case "PL001", "PL004", "PL009":
			want = append(want, fmt.Sprintf("%s:%d:%d", v.Pos.File, v.Pos.Line, v.Pos.Column))
		case "PL027":
			dups++
		}
	}
	// pin pins every environment overlay; check sees one with --env.
	envs := map[string]bool{}
	for _, m := range res.Inventory.Modules {
		for _, e := range m.Envs {
			envs[e.Name] = true
		}
	}
	for env := range envs {
		er, err := policy.Check(ctx, policy.CheckOptions{Root: dir, Env: env})
		if err != nil {
			return 0, []string{fmt.Sprintf("check --env %s: %v", env, err)}
		}
		for _, v := range er.Decision.Violations {
			if v.RuleID == "PL001" || v.RuleID == "PL004" {
				want = append(want, fmt.Sprintf("%s:%d:%d", v.Pos.File, v.Pos.Line, v.Pos.Column))
			}
		}
	}
	slices.Sort(got)
	slices.Sort(want)
	got, want = slices.Compact(got), slices.Compact(want)
	var diff []string
	if !slices.Equal(got, want) {
		diff = append(diff, fmt.Sprintf("pin --check would pin %v, check denies %v", got, want))
	}
	nDup := 0
	for _, m := range res.Inventory.Modules {
		nDup += len(m.DuplicateKeys)
	}
	if dups != nDup {
		diff = append(diff, fmt.Sprintf("%d duplicate keys, %d PL027 findings", nDup, dups))
	}
	return len(want), diff
}

// TestPinCheckAgreesWithCheckDecision: on every dagger.json of the shared
// corpus and on files with duplicate keys (either copy unpinned), pin
// --check and check's decision agree on which module sources are
// unpinned and where.
func TestPinCheckAgreesWithCheckDecision(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("../inventory/testdata/corpus/dagger-json/*dagger.json")
	if len(files) < 100 {
		t.Fatalf("%d corpus files, want the 112", len(files))
	}
	inputs := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs[filepath.Base(f)] = string(b)
	}
	c := strings.Repeat("ab", 20)
	inputs["dup: last unpinned"] = `{"name": "m", "sdk": "go",
  "dependencies": [{"name": "a", "source": "github.com/acme/a@v1", "pin": "` + c + `"}],
  "dependencies": [{"name": "a", "source": "github.com/acme/a@v2"}]}`
	inputs["dup: last pinned"] = `{"name": "m", "sdk": "go",
  "dependencies": [{"name": "a", "source": "github.com/acme/a@v2"}],
  "dependencies": [{"name": "a", "source": "github.com/acme/a@v1", "pin": "` + c + `"}]}`
	inputs["dup pin: last empty"] = `{"name": "m", "dependencies": [{"name": "a", "source": "github.com/acme/a@v1", "pin": "` + c + `", "pin": ""}]}`
	inputs["dup pin: last a commit"] = `{"name": "m", "dependencies": [{"name": "a", "source": "github.com/acme/a@v1", "pin": "", "pin": "` + c + `"}]}`
	inputs["dup sdk"] = `{"name": "m", "sdk": {"source": "github.com/acme/sdk@` + c + `"}, "sdk": {"source": "github.com/acme/sdk@main"}}`
	total := 0
	for name, content := range inputs {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "dagger.json"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		n, diff := pinCheckAgrees(t, dir)
		total += n
		for _, d := range diff {
			t.Errorf("%s: %s", name, d)
		}
		if strings.HasPrefix(name, "dup") {
			wantUnpinned := !strings.Contains(name, "last pinned") && !strings.Contains(name, "last a commit")
			if (n > 0) != wantUnpinned {
				t.Errorf("%s: %d unpinned modules, want unpinned=%v", name, n, wantUnpinned)
			}
		}
	}
	if total == 0 {
		t.Error("nothing unpinned: the comparison compared nothing")
	}
}
