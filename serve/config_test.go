package serve

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pinline/pinline/internal/errclass"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestLoadConfigGood(t *testing.T) {
	t.Parallel()
	c, err := LoadConfig("testdata/config/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs("testdata/config")
	_ = abs
	rel := c.Tier("release")
	pr := c.Tier("pr")
	if rel == nil || pr == nil {
		t.Fatalf("tiers %+v", c.Tiers)
	}
	if rel.Concurrency != 2 || rel.Timeout != 30*time.Minute || pr.Concurrency != DefaultConcurrency || pr.Timeout != DefaultTimeout {
		t.Errorf("limits: release %d/%s pr %d/%s", rel.Concurrency, rel.Timeout, pr.Concurrency, pr.Timeout)
	}
	if rel.Signing.Key != filepath.Join("testdata/config", "release.key") || pr.Engine.Config != filepath.Join("testdata/config", "pr-engine.json") ||
		c.Store != filepath.Join("testdata/config", "store") {
		t.Errorf("relative paths not resolved against the file: %q %q %q", rel.Signing.Key, pr.Engine.Config, c.Store)
	}
	if c.MaxQueue != DefaultMaxQueue || c.ShutdownGrace != DefaultShutdownGrace {
		t.Errorf("defaults: %d %s", c.MaxQueue, c.ShutdownGrace)
	}
	if len(c.rules.Tiers) != 2 {
		t.Errorf("identity rules not built: %+v", c.rules)
	}
}

// TestLoadConfigBad: every malformed configuration is one bad-input error
// naming the file and the line (golden: testdata/config/bad-*.err).
func TestLoadConfigBad(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("testdata/config/bad-*.yaml")
	if len(files) < 10 {
		t.Fatalf("only %d cases", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			_, err := LoadConfig(f)
			if err == nil {
				t.Fatal("accepted")
			}
			if !errors.Is(err, errclass.ErrBadInput) {
				t.Errorf("not bad input (exit 2): %v", err)
			}
			got := err.Error() + "\n"
			golden := strings.TrimSuffix(f, ".yaml") + ".err"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got != string(want) {
				t.Errorf("got  %swant %s", got, want)
			}
			if filepath.Base(f) != "bad-empty.yaml" && !strings.Contains(got, f+":") {
				t.Errorf("error does not name the file and line: %s", got)
			}
		})
	}
}
