package report

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"time"

	"github.com/pinline/pinline/record"
)

// Evidence-pack layout, documented in docs/report.md.
const (
	// PackPredicateType is the predicate type of the signed pack manifest.
	PackPredicateType = "https://pinline.dev/evidence-pack/v1"
	// PackManifest is the DSSE envelope of the manifest statement.
	PackManifest = "manifest.intoto.json"
	// PackReport is the JSON report of the packed runs.
	PackReport = "report.json"
	// PackGatewayLog holds the gateway audit lines of the packed runs.
	PackGatewayLog = "gateway/audit.jsonl"
	packRuns       = "runs"
)

// PackOptions control WritePack.
type PackOptions struct {
	// Signer signs the manifest; required (an unsigned pack proves nothing).
	Signer Signer
	// GatewayLog is an optional JSON-lines audit log of the mTLS gateway;
	// lines whose time falls in a packed run's window are included.
	GatewayLog string
	// Now stamps the manifest and the tar entries.
	Now time.Time
}

// PackPredicate is the predicate of the manifest statement.
type PackPredicate struct {
	CreatedAt time.Time `json:"createdAt"`
	Runs      []string  `json:"runs"`
	// PolicyBundles are the distinct policy bundle digests the runs were
	// gated with.
	PolicyBundles []string `json:"policyBundles"`
	GatewayLog    bool     `json:"gatewayLog"`
	// Skipped are run directories left out because they were unreadable.
	Skipped []LoadError `json:"skipped"`
}

type packFile struct {
	name string
	data []byte
}

// WritePack writes a gzipped tar of the runs in rep, their evidence files,
// the JSON report, optional gateway lines and a signed manifest of every
// file's SHA-256.
func WritePack(ctx context.Context, w io.Writer, rep *Report, opts PackOptions) error {
	if opts.Signer == nil {
		return errors.New("evidence pack: a signing key is required")
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now().UTC()
	}
	var files []packFile
	bundles := map[string]bool{}
	pred := PackPredicate{CreatedAt: opts.Now, Runs: []string{}, PolicyBundles: []string{}, Skipped: rep.Errors}
	for _, r := range rep.Runs {
		if err := ctx.Err(); err != nil {
			return err
		}
		fs, err := runFiles(r.Dir, path.Join(packRuns, r.ID))
		if err != nil {
			return fmt.Errorf("evidence pack: %w", err)
		}
		files = append(files, fs...)
		pred.Runs = append(pred.Runs, r.ID)
		if b := r.Policy.BundleSHA256; b != "" && !bundles[b] {
			bundles[b] = true
			pred.PolicyBundles = append(pred.PolicyBundles, "sha256:"+b)
		}
	}
	sort.Strings(pred.PolicyBundles)
	if opts.GatewayLog != "" {
		lines, err := gatewayLines(opts.GatewayLog, rep.Runs)
		if err != nil {
			return fmt.Errorf("evidence pack: gateway log: %w", err)
		}
		files = append(files, packFile{PackGatewayLog, lines})
		pred.GatewayLog = true
	}
	var rj bytes.Buffer
	if err := Render(&rj, rep, "json"); err != nil {
		return err
	}
	files = append(files, packFile{PackReport, rj.Bytes()})
	sort.Slice(files, func(i, j int) bool { return files[i].name < files[j].name })

	subjects := make([]map[string]any, len(files))
	for i, f := range files {
		subjects[i] = map[string]any{"name": f.name, "digest": map[string]string{"sha256": sha256Hex(f.data)}}
	}
	stmt, err := json.Marshal(map[string]any{
		"_type": "https://in-toto.io/Statement/v1", "subject": subjects,
		"predicateType": PackPredicateType, "predicate": pred,
	})
	if err != nil {
		return err
	}
	env, err := opts.Signer.SignDSSE(ctx, InTotoPayloadType, stmt)
	if err != nil {
		return fmt.Errorf("evidence pack: sign manifest: %w", err)
	}
	files = append([]packFile{{PackManifest, env}}, files...)

	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	for _, f := range files {
		hdr := &tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.data)), ModTime: opts.Now, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("evidence pack: %w", err)
		}
		if _, err := tw.Write(f.data); err != nil {
			return fmt.Errorf("evidence pack: %w", err)
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("evidence pack: %w", err)
	}
	return gz.Close()
}

// runFiles reads the evidence files of one run: every regular file except
// the exported outputs (artifacts are named by digest in run.json and the
// provenance, not copied).
func runFiles(dir, prefix string) ([]packFile, error) {
	var out []packFile
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			if rel == record.OutputDir {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil // symlinks and devices are never packed
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out = append(out, packFile{path.Join(prefix, filepath.ToSlash(rel)), b})
		return nil
	})
	return out, err
}

// gatewayLines keeps the JSON lines whose "time" (or "ts") lies within a
// minute of a packed run; lines without a readable time are kept.
func gatewayLines(p string, runs []RunReport) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out bytes.Buffer
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for sc.Scan() {
		line := sc.Bytes()
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var l struct {
			Time string `json:"time"`
			TS   string `json:"ts"`
		}
		keep := true
		if json.Unmarshal(line, &l) == nil {
			if t, err := time.Parse(time.RFC3339Nano, first(l.Time, l.TS)); err == nil {
				keep = false
				for _, r := range runs {
					if !t.Before(r.StartedAt.Add(-time.Minute)) && !t.After(r.FinishedAt.Add(time.Minute)) {
						keep = true
						break
					}
				}
			}
		}
		if keep {
			out.Write(line)
			out.WriteByte('\n')
		}
	}
	return out.Bytes(), sc.Err()
}

// sha256Hex is the lowercase hex SHA-256 of b.
func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
