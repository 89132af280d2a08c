package pipeline

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/pinline/pinline/attest"
	"github.com/pinline/pinline/inventory"
	"github.com/pinline/pinline/policy"
	"github.com/pinline/pinline/record"
	"github.com/pinline/pinline/sbom"
)

// PolicyGate is the OPA gate of `pinline check`, run on the repository
// root before anything executes, with the run's facts (the backend, and
// the spec being run even when it is not named pinline.yaml). The
// executor's own rules are rules of its catalogue, not waivable: the host
// backend only in tier local (PL013), pinline.yaml images pinned by digest
// (PL021), no literal secret values (PL010), module calls that stay in
// the repository (PL030, PL031; the paths resolved here, symlinks
// followed, before policy). The inventory it collected is
// kept on the decision for the SBOM.
type PolicyGate struct {
	UserDirs   []string
	ConfigFile string
	// WaiverMaxAge and AllBuiltins are policy.CheckOptions'.
	WaiverMaxAge time.Duration
	AllBuiltins  bool
	// UserConfig is the user-level Dagger config of the machine the run
	// uses (nil: none): its workspace overrides are PL025, refused
	// outside tier local, as in pinline check.
	UserConfig *inventory.UserConfigFile
	// Env is --env: the dagger.toml workspace environment overlay the gate
	// applies, as pinline check --env does (an overlay no workspace
	// defines is bad input). decision.json and run.json name it.
	Env string
}

// Evaluate implements Gate.
func (g PolicyGate) Evaluate(ctx context.Context, in GateInput) (*Decision, error) {
	run := &policy.RunInfo{Backend: in.Backend, PushRemotes: in.PushRemotes, Calls: callFacts(in)}
	if run.Backend == "" {
		run.Backend = BackendDagger
	}
	if in.Spec != nil && in.Spec.Path != "" { // "": pinline call's spec of the command line
		rel, err := specPath(in.Root, in.Spec.Path)
		if err != nil {
			return nil, err
		}
		run.Spec, run.SpecPath = in.Spec, rel
	}
	res, err := policy.Check(ctx, policy.CheckOptions{Root: in.Root, Tier: in.Tier, Run: run, UserDirs: g.UserDirs, ConfigFile: g.ConfigFile,
		WaiverMaxAge: g.WaiverMaxAge, AllBuiltins: g.AllBuiltins, Frozen: in.Frozen, UserConfig: g.UserConfig, Env: g.Env})
	if err != nil {
		return nil, err
	}
	pd := res.Decision
	d := &Decision{Decision: record.Decision{Allow: pd.Allow, InputDigest: pd.InputDigest, BundleDigest: pd.BundleDigest,
		Gates: []string{"policy"}, Violations: recordFindings(pd.Violations), Warnings: recordFindings(pd.Warnings),
		Waived: make([]record.WaivedFinding, 0, len(pd.Waived)), Env: res.Inventory.Env}, inventory: res.Inventory}
	for _, w := range pd.Waived {
		d.Waived = append(d.Waived, record.WaivedFinding{Finding: w.Finding, Waiver: recordWaiver(w.Waiver)})
	}
	return d, nil
}

// specPath is the spec's path relative to the repository root, with
// forward slashes (the file of its findings).
func specPath(root, file string) (string, error) {
	absRoot, err := filepath.Abs(root)
	if err != nil {
		return "", err
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		return "", err
	}
	rel, err := filepath.Rel(absRoot, abs)
	if err != nil {
		return "", fmt.Errorf("spec %s: %w", file, err)
	}
	return filepath.ToSlash(rel), nil
}

// recordFindings is the findings as decision.json holds them (the same
// type; never nil, so an empty list is written as []).
func recordFindings(fs []policy.Finding) []record.Finding {
	return append(make([]record.Finding, 0, len(fs)), fs...)
}

func recordWaiver(w policy.Waiver) record.Waiver {
	return record.Waiver{Rule: w.Rule, Path: w.Path, Ref: w.Ref, Reason: w.Reason, Expires: w.Expires, Pos: w.Pos}
}

// CycloneDX writes the run's CycloneDX 1.6 JSON SBOM with package sbom.
type CycloneDX struct {
	Options sbom.Options
}

// WriteSBOM implements SBOMWriter.
func (c CycloneDX) WriteSBOM(ctx context.Context, run *record.Run, runDir string, inv *inventory.Inventory, w io.Writer) error {
	bom, err := sbom.ForRun(ctx, run, runDir, inv, c.Options)
	if err != nil {
		return err
	}
	v, err := sbom.ParseSpecVersion("1.6")
	if err != nil {
		return err
	}
	return sbom.Write(w, bom, sbom.FormatJSON, v)
}

// SignedProvenance signs SLSA v1 provenance of a succeeded run with package
// attest (DSSE envelope + sigstore bundle).
type SignedProvenance struct {
	Signer attest.Signer
	KeyRef string
	// Version is pinline's version, recorded as the builder version.
	Version string
	// Sign are signing options (an RFC 3161 timestamp authority).
	Sign attest.SignOptions
}

// Attest implements Attester.
func (p SignedProvenance) Attest(ctx context.Context, run *record.Run, recordSHA256 string) (*Provenance, error) {
	if p.Signer == nil {
		return nil, fmt.Errorf("no signer")
	}
	d := BuildDescription(run, p.Version)
	if recordSHA256 != "" { // no file outputs: run.json is the file subject
		if len(d.Subjects) > 0 && !gitOnly(run.Outputs) {
			return nil, fmt.Errorf("run.json digest given for a run with file outputs")
		}
		d.Subjects = append([]attest.Subject{{Name: record.RunFile, SHA256: recordSHA256}}, d.Subjects...)
	}
	env, bundle, err := attest.SignProvenanceWith(ctx, d, p.Signer, p.Sign)
	if err != nil {
		return nil, err
	}
	return &Provenance{Envelope: env, Bundle: bundle, KeyRef: p.KeyRef}, nil
}

func (p SignedProvenance) keyRef() string { return p.KeyRef }

// BuildDescription maps a run record to what the provenance states. The
// subjects are the exported outputs and the published images (a run without either is attested
// with its run.json as the subject: see SignedProvenance.Attest); nothing
// secret is in a run record.
func BuildDescription(run *record.Run, version string) attest.BuildDescription {
	d := attest.BuildDescription{
		External: attest.ExternalParameters{
			SpecPath: run.Spec.Path, SpecSHA256: run.Spec.SHA256,
			SourceURI: run.Repository.URI, SourceCommit: run.Repository.Commit,
			Tasks: run.Requested, Tier: run.Tier,
		},
		Internal: attest.InternalParameters{
			EngineVersion: run.Engine.Version, PolicyBundleSHA256: run.Decision.BundleSHA256,
			GateDecision: "allow", CacheMode: run.CacheMode,
		},
		BuilderID:      run.BuilderID,
		BuilderVersion: map[string]string{"pinline": version},
		InvocationID:   run.ID,
		StartedOn:      run.StartedAt,
		FinishedOn:     run.FinishedAt,
		Byproducts:     attest.Byproducts{SBOMName: run.Evidence.SBOM, SBOMSHA256: run.Evidence.SBOMSHA256},
	}
	if sv := run.Service; sv != nil {
		// Submitted to the control plane: externalParameters are exactly
		// the submission; what the server chose is internal.
		d.External = attest.ExternalParameters{Service: true, SourceURI: sv.Repository, SourceCommit: sv.Commit,
			SpecPath: sv.SpecPath, Tasks: sv.Tasks}
		d.Internal.Service = &attest.ServiceParameters{Tier: sv.Tier, Engine: sv.Engine, ServerVersion: sv.ServerVersion}
	}
	if run.Engine.Gateway != "" {
		d.Internal.Gateway = &attest.Gateway{Address: run.Engine.Gateway, Identity: run.Who.Identity, CacheMode: run.Engine.GatewayCacheMode}
	}
	for _, o := range run.Outputs {
		if o.Type == OutputGit {
			d.Subjects = append(d.Subjects, attest.Subject{Name: record.GitName(o), GitCommit: o.Commit})
			continue
		}
		d.Subjects = append(d.Subjects, attest.Subject{Name: o.File, SHA256: o.SHA256})
	}
	// A published image: name = the repository, digest = the manifest (or
	// index) digest, what `cosign verify-attestation` and admission
	// controllers match.
	for _, p := range run.Published {
		d.Subjects = append(d.Subjects, attest.Subject{Name: p.Repository, SHA256: strings.TrimPrefix(p.Digest, "sha256:")})
	}
	for _, im := range run.Images {
		d.Dependencies.Images = append(d.Dependencies.Images, attest.Image{Ref: im.Ref, Digest: im.Digest})
	}
	for _, m := range run.Modules {
		d.Dependencies.Modules = append(d.Dependencies.Modules, attest.Module{Name: m.Name, Source: m.Source, Pin: m.Pin})
	}
	for _, t := range run.Tasks {
		if t.Call != nil {
			d.External.Calls = append(d.External.Calls, attestCall(run, t))
		}
		if t.Log != "" {
			d.Byproducts.Logs = append(d.Byproducts.Logs, attest.Subject{Name: t.Log, SHA256: t.LogSHA256})
		}
	}
	return d
}

// attestCall is a call task as provenance states it: the module as a ref
// at the source commit (git+<uri>//<dir>@<commit>), the function and the
// arguments, secret ones by name only.
func attestCall(run *record.Run, t record.Task) attest.Call {
	c := t.Call
	mod := c.Module
	if u := run.Repository.URI; u != "" {
		if !strings.HasPrefix(u, "git+") {
			u = "git+" + u
		}
		mod = u
		if c.Module != "." && c.Module != "" {
			mod += "//" + c.Module
		}
	}
	if run.Repository.Commit != "" {
		mod += "@" + run.Repository.Commit
	}
	ac := attest.Call{Task: t.Name, Module: mod, ModuleDigest: c.ModuleDigest, Function: c.Function, Args: []attest.CallArg{}}
	for _, a := range c.Args {
		ac.Args = append(ac.Args, attest.CallArg{Name: a.Name, Value: a.Value, Secret: a.Secret, Digest: a.Digest})
	}
	return ac
}

// gitOnly reports whether every output is a pushed commit (or there are
// none): the run then has no file to attest but its record.
func gitOnly(outs []record.Output) bool {
	for _, o := range outs {
		if o.Type != OutputGit {
			return false
		}
	}
	return true
}
