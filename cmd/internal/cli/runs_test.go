package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A run.json that is not JSON is bad input naming the file and position;
// a readable record next to it is still listed.
func TestRunsMalformedRecord(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "20261122T000000Z-bad", "run.json")
	if err := os.MkdirAll(filepath.Dir(bad), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, bad, "{\"id\": \"x\",\n \"status\": ")
	code, out, errOut := runCLICtx(context.Background(), nil, "runs", "--dir", dir)
	if code != ExitUsage || !strings.Contains(errOut, bad+": malformed run record: line 2, column 12") {
		t.Errorf("only a malformed record: exit %d, stderr %q\n%s", code, errOut, out)
	}
	good := filepath.Join(dir, "20261122T000001Z-good", "run.json")
	if err := os.MkdirAll(filepath.Dir(good), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, good, `{"id": "20261122T000001Z-good", "status": "succeeded"}`)
	code, out, errOut = runCLICtx(context.Background(), nil, "runs", "--dir", dir)
	if code != ExitOK || !hasRow(out, "20261122T000001Z-good", "succeeded") || !strings.Contains(errOut, "could not be read") {
		t.Errorf("one good, one malformed: exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
}
