package cli

import (
	"archive/tar"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/pinline/pinline/internal/testenv"
	"github.com/pinline/pinline/oci"
	"github.com/pinline/pinline/record"
)

// TestRunPublishesImage is images end to end on the real engine: a task
// builds an image (busybox plus a file), the run publishes it (and an
// image index assembled from a directory) to a registry on 127.0.0.1,
// records the digests, attests them and attaches the evidence; pinline
// verify --image and cosign verify it; moving the tag leaves the old
// digest's verdict unchanged, the new digest has no evidence, and a
// tampered attestation fails. Registries: the project's registry
// (hack/registry.sh, no referrers API: the tag schema) and
// go-containerregistry's in-process one with the referrers API.
func TestRunPublishesImage(t *testing.T) {
	t.Parallel()
	sock, cli, bb := needEngine(t)
	devreg := testenv.Require(t, "PINLINE_REGISTRY", "hack/setup.d/30-engine.sh")
	cosignPath := cosignBin(t)
	for _, reg := range []struct{ name, host string }{
		{"devregistry", devreg},
		{"referrers", inProcessRegistry(t, true, nil)},
	} {
		t.Run(reg.name, func(t *testing.T) {
			t.Parallel()
			n := fmt.Sprint(time.Now().UnixNano())
			repo := reg.host + "/pinline-test/app-" + n
			spec, eng := writeRepo(t, `version: 1
name: images
images:
  bb: `+bb+`
tasks:
  build:
    image: bb
    env: {N: "`+n+`"}
    secrets: [{name: tok, env: TOK, from: {env: PL_TEST_IMAGE_SECRET}}]
    sh: 'test -n "$TOK" && mkdir -p /srv /out/root/etc && echo "hello $N" > /srv/hello.txt && cp /srv/hello.txt /out/root/etc/hello.txt'
    outputs:
      - {type: image, ref: "`+repo+`:v1", platforms: [linux/amd64]}
      - {type: image, path: /out/root, ref: "`+repo+`-root:v1", platforms: [linux/amd64, linux/arm64]}
      - {path: /srv/hello.txt}
`, sock)
			dir := filepath.Dir(spec)
			canary := "canary-" + n
			env := map[string]string{"PINLINE_DAGGER_CLI": cli, "COSIGN_PASSWORD": "test-password", "PL_TEST_IMAGE_SECRET": canary}
			key := filepath.Join(dir, "cosign")
			if code, _, e := runCLICtx(context.Background(), env, "keys", "generate", "--output-key-prefix", key); code != 0 {
				t.Fatalf("keys generate: %s", e)
			}
			code, out, errOut := runCLICtx(context.Background(), env, "run", "-f", spec, "--engine-config", eng, "--key", key+".key")
			if code != 0 {
				t.Fatalf("run: exit %d\n%s\n%s", code, out, errOut)
			}
			runs, _ := filepath.Glob(filepath.Join(dir, ".pinline", "runs", "*"))
			if len(runs) != 1 {
				t.Fatalf("runs %v", runs)
			}
			rec, err := record.ReadRun(runs[0])
			if err != nil {
				t.Fatal(err)
			}
			if len(rec.Published) != 2 {
				t.Fatalf("published = %+v", rec.Published)
			}
			app, root := rec.Published[0], rec.Published[1]
			if app.Repository != repo || !strings.HasPrefix(app.Digest, "sha256:") || len(app.Attached) < 3 {
				t.Errorf("published[0] = %+v", app)
			}
			if root.MediaType != "application/vnd.oci.image.index.v1+json" {
				t.Errorf("two platforms: media type %q, want an OCI index", root.MediaType)
			}
			img := app.Repository + "@" + app.Digest
			// The pushed image is the task's container: busybox plus the file.
			if got := fileInImage(t, img, "srv/hello.txt"); got != "hello "+n+"\n" {
				t.Errorf("/srv/hello.txt in the image = %q", got)
			}
			// The task's secret is not part of the published image.
			if cfg := imageConfig(t, img); strings.Contains(cfg, `"TOK=`) || strings.Contains(cfg, canary) {
				t.Errorf("the task's secret is in the image config:\n%s", cfg)
			}
			// Provenance subjects name the repositories with the digests.
			subjects := provenanceSubjects(t, filepath.Join(runs[0], record.ProvenanceFile))
			for _, p := range rec.Published {
				if subjects[p.Repository] != strings.TrimPrefix(p.Digest, "sha256:") {
					t.Errorf("provenance subjects %v lack %s@%s", subjects, p.Repository, p.Digest)
				}
			}
			// The SBOM has the image as a pkg:oci component.
			purl := sbomPurl(t, filepath.Join(runs[0], record.SBOMFile), repo)
			if !strings.HasPrefix(purl, "pkg:oci/app-"+n+"@sha256%3A"+strings.TrimPrefix(app.Digest, "sha256:")) &&
				!strings.HasPrefix(purl, "pkg:oci/app-"+n+"@"+app.Digest) || !strings.Contains(purl, "repository_url=") {
				t.Errorf("sbom purl %q", purl)
			}

			verify := func(image string, extra ...string) (int, string) {
				code, out, e := runCLI(t, append([]string{"verify", "--key", key + ".pub", "--image", image}, extra...)...)
				return code, out + e
			}
			for _, p := range rec.Published {
				if code, out := verify(p.Repository+"@"+p.Digest, "--builder-id", rec.BuilderID, "--tier", "local"); code != 0 {
					t.Fatalf("verify --image %s: %d\n%s", p.Digest, code, out)
				}
			}
			write(t, filepath.Join(dir, "trusted_root.json"), emptyTrustedRoot)
			cout, err := cosign(t, cosignPath, dir, "verify-attestation", "--key", "cosign.pub", "--type", "slsaprovenance1",
				"--insecure-ignore-tlog", "--allow-http-registry", "--new-bundle-format", "--trusted-root", "trusted_root.json", img)
			if err != nil || !strings.Contains(cout, "Verification for "+img) {
				t.Fatalf("cosign verify-attestation: %v\n%s", err, cout)
			}
			// attest --run re-attaches the run's evidence, here to a mirror
			// of the image in a registry that has none yet; only images the
			// run published are accepted.
			mirror := copyImage(t, img, inProcessRegistry(t, false, nil))
			if code, out := verify(mirror); code != 1 {
				t.Errorf("mirror before attest --run: %d\n%s", code, out)
			}
			mirrorRun := filepath.Join(dir, "mirror", filepath.Base(runs[0]))
			copyRunForMirror(t, runs[0], mirrorRun, app, mirror)
			if code, _, e := runCLI(t, "attest", "--image", mirror, "--run", mirrorRun); code != 0 {
				t.Fatalf("attest --run: %d %s", code, e)
			}
			if code, out := verify(mirror, "--builder-id", rec.BuilderID); code != 0 {
				t.Errorf("mirror after attest --run: %d\n%s", code, out)
			}
			if code, _, e := runCLI(t, "attest", "--image", pushRandom(t, repo+":other"), "--run", runs[0]); code != 2 || !strings.Contains(e, "did not publish") {
				t.Errorf("attest --run with an image the run did not publish: %d %s", code, e)
			}
			// The tag moves to another image.
			moved := pushRandom(t, repo+":v1")
			if code, out := verify(img); code != 0 {
				t.Errorf("old digest after the tag moved: %d\n%s", code, out)
			}
			if code, out := verify(moved); code != 1 {
				t.Errorf("new digest: %d\n%s", code, out)
			}
			if out, err := cosign(t, cosignPath, dir, "verify-attestation", "--key", "cosign.pub", "--type", "slsaprovenance1",
				"--insecure-ignore-tlog", "--allow-http-registry", moved); err == nil {
				t.Errorf("cosign accepted the new digest:\n%s", out)
			}
			// A tampered copy of the attestation attached next to it fails.
			tampered := tamperEnvelope(t, filepath.Join(runs[0], record.ProvenanceFile))
			d, _ := oci.ParseDigestRef(img)
			if _, err := oci.Attach(context.Background(), d, oci.Evidence{Envelope: tampered}, oci.Options{}); err != nil {
				t.Fatal(err)
			}
			if code, out := verify(img); code != 1 || !strings.Contains(out, "FAIL") {
				t.Errorf("tampered: %d\n%s", code, out)
			}
		})
	}
}

// fileInImage reads one file of an image's flattened file system.
func fileInImage(t *testing.T, ref, file string) string {
	t.Helper()
	d, err := name.NewDigest(ref)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(d)
	if err != nil {
		t.Fatal(err)
	}
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			t.Fatalf("%s not in %s", file, ref)
		}
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimPrefix(h.Name, "./") == file {
			b, err := io.ReadAll(io.LimitReader(tr, 1<<20))
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
	}
}

// provenanceSubjects maps subject names to sha256 digests.
func provenanceSubjects(t *testing.T, envFile string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(envFile)
	if err != nil {
		t.Fatal(err)
	}
	var env struct{ Payload string }
	if err := json.Unmarshal(b, &env); err != nil {
		t.Fatal(err)
	}
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		t.Fatal(err)
	}
	var st struct {
		Subject []struct {
			Name   string
			Digest map[string]string
		}
	}
	if err := json.Unmarshal(payload, &st); err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, s := range st.Subject {
		m[s.Name] = s.Digest["sha256"]
	}
	return m
}

// sbomPurl is the purl of the SBOM component named repo.
func sbomPurl(t *testing.T, file, repo string) string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(f, cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		t.Fatal(err)
	}
	for _, c := range *bom.Components {
		if c.Name == repo {
			return c.PackageURL
		}
	}
	t.Fatalf("no component %s in the SBOM", repo)
	return ""
}

// imageConfig is the raw config blob of an image.
func imageConfig(t *testing.T, ref string) string {
	t.Helper()
	d, err := name.NewDigest(ref)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(d)
	if err != nil {
		t.Fatal(err)
	}
	b, err := img.RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// copyRunForMirror copies a run directory and renames the published image's
// repository in run.json to the mirror's (the digest, which the provenance
// attests, is the same; the subject name is not part of verification).
func copyRunForMirror(t *testing.T, src, dst string, pub record.PublishedImage, mirror string) {
	t.Helper()
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dst, record.RunFile))
	if err != nil {
		t.Fatal(err)
	}
	repo, _, _ := strings.Cut(mirror, "@")
	b = []byte(strings.ReplaceAll(string(b), `"repository": "`+pub.Repository+`"`, `"repository": "`+repo+`"`))
	if err := os.WriteFile(filepath.Join(dst, record.RunFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
}
