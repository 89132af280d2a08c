package attest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	slsa "github.com/in-toto/attestation/go/predicates/provenance/v1"
	intoto "github.com/in-toto/attestation/go/v1"
	intotogolang "github.com/in-toto/in-toto-golang/in_toto"
	slsa02 "github.com/in-toto/in-toto-golang/in_toto/slsa_provenance/v0.2"
	slsa1 "github.com/in-toto/in-toto-golang/in_toto/slsa_provenance/v1"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// Well-known predicate and statement types. The v0.1 statement type and the
// SLSA v1 predicate type come from in-toto-golang, the in-toto reference
// implementation (its Statement types are deprecated in favour of
// in-toto/attestation, which pinline uses to build statements).
const (
	PredicateSLSAProvenanceV1 = slsa1.PredicateSLSAProvenance
	// PredicateSLSAProvenanceV02 is SLSA v0.2 provenance (slsa-github-generator
	// v1, older npm provenance): its builder, config source and ref are
	// read for --builder-id, --source-uri and --source-ref.
	PredicateSLSAProvenanceV02 = slsa02.PredicateSLSAProvenance
	PredicateCycloneDX         = "https://cyclonedx.org/bom"
	StatementTypeV1            = intoto.StatementTypeUri
	StatementTypeV01           = intotogolang.StatementInTotoV01
)

// ErrInvalidDescription is returned when a BuildDescription cannot be turned
// into provenance (missing subjects, malformed digests).
var ErrInvalidDescription = errors.New("invalid build description")

// Statement builds the in-toto Statement v1 with a SLSA Provenance v1
// predicate for desc.
func Statement(desc BuildDescription) (*intoto.Statement, error) {
	if err := validateDescription(desc); err != nil {
		return nil, err
	}
	subjects := make([]*intoto.ResourceDescriptor, 0, len(desc.Subjects))
	for _, s := range desc.Subjects {
		subjects = append(subjects, &intoto.ResourceDescriptor{Name: s.Name, Digest: subjectDigest(s)})
	}
	ext, err := structpb.NewStruct(externalParams(desc.External))
	if err != nil {
		return nil, fmt.Errorf("external parameters: %w", err)
	}
	in, err := structpb.NewStruct(internalParams(desc.Internal))
	if err != nil {
		return nil, fmt.Errorf("internal parameters: %w", err)
	}
	md := &slsa.BuildMetadata{InvocationId: desc.InvocationID}
	if !desc.StartedOn.IsZero() {
		md.StartedOn = timestamppb.New(desc.StartedOn.UTC())
	}
	if !desc.FinishedOn.IsZero() {
		md.FinishedOn = timestamppb.New(desc.FinishedOn.UTC())
	}
	prov := &slsa.Provenance{
		BuildDefinition: &slsa.BuildDefinition{
			BuildType:            BuildType,
			ExternalParameters:   ext,
			InternalParameters:   in,
			ResolvedDependencies: resolvedDeps(desc),
		},
		RunDetails: &slsa.RunDetails{
			Builder:    &slsa.Builder{Id: desc.BuilderID, Version: desc.BuilderVersion},
			Metadata:   md,
			Byproducts: byproducts(desc.Byproducts),
		},
	}
	predJSON, err := protojson.Marshal(prov)
	if err != nil {
		return nil, fmt.Errorf("marshal predicate: %w", err)
	}
	pred := &structpb.Struct{}
	if err := protojson.Unmarshal(predJSON, pred); err != nil {
		return nil, fmt.Errorf("predicate to struct: %w", err)
	}
	st := &intoto.Statement{Type: intoto.StatementTypeUri, Subject: subjects, PredicateType: PredicateSLSAProvenanceV1, Predicate: pred}
	if err := st.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidDescription, err)
	}
	return st, nil
}

// StatementJSON is Statement marshalled with protojson: the payload that gets
// signed.
func StatementJSON(desc BuildDescription) ([]byte, error) {
	st, err := Statement(desc)
	if err != nil {
		return nil, err
	}
	return MarshalStatement(st)
}

// MarshalStatement marshals any statement with protojson (stable field names)
// and compacts the result. protojson deliberately varies its whitespace from
// one build of the binary to the next; compacting makes the signed payload a
// function of the statement alone, so two builds of pinline sign the same
// bytes and byte-level readers (the fast path, tests) see one spelling.
func MarshalStatement(st proto.Message) ([]byte, error) {
	return marshalCompact(protojson.MarshalOptions{UseProtoNames: false}, st)
}

// marshalCompact is protojson marshalling with the output compacted (see
// MarshalStatement).
func marshalCompact(o protojson.MarshalOptions, m proto.Message) ([]byte, error) {
	raw, err := o.Marshal(m)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.Grow(len(raw))
	if err := json.Compact(&buf, raw); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func validateDescription(d BuildDescription) error {
	if len(d.Subjects) == 0 {
		return fmt.Errorf("%w: no subjects", ErrInvalidDescription)
	}
	for i, s := range d.Subjects {
		if s.Name == "" {
			return fmt.Errorf("%w: subject %d has no name", ErrInvalidDescription, i)
		}
		if s.GitCommit != "" {
			if !isGitCommit(s.GitCommit) || s.SHA256 != "" {
				return fmt.Errorf("%w: subject %q: git commit %q is not 40 or 64 lower-case hex digits (and no sha256 beside it)", ErrInvalidDescription, s.Name, s.GitCommit)
			}
			continue
		}
		if !isSHA256Hex(s.SHA256) {
			return fmt.Errorf("%w: subject %q: sha256 %q is not 64 lower-case hex digits", ErrInvalidDescription, s.Name, s.SHA256)
		}
	}
	if d.BuilderID == "" {
		return fmt.Errorf("%w: builder id is required", ErrInvalidDescription)
	}
	for _, im := range d.Dependencies.Images {
		if !strings.HasPrefix(im.Digest, "sha256:") || !isSHA256Hex(strings.TrimPrefix(im.Digest, "sha256:")) {
			return fmt.Errorf("%w: image %q: digest %q is not sha256:<hex>", ErrInvalidDescription, im.Ref, im.Digest)
		}
	}
	return nil
}

// isSHA256Hex reports whether s is 64 lowercase hex digits. It runs for
// every subject of every attestation verified: no allocation.
func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func digestMap(algo, v string) map[string]any {
	if v == "" {
		return nil
	}
	return map[string]any{algo: v}
}

func strList(ss []string) []any {
	out := make([]any, 0, len(ss))
	for _, s := range ss {
		out = append(out, s)
	}
	return out
}

func externalParams(e ExternalParameters) map[string]any {
	if e.Service {
		return map[string]any{
			"source": map[string]any{"uri": e.SourceURI, "commit": e.SourceCommit},
			"spec":   map[string]any{"path": e.SpecPath},
			"tasks":  strList(e.Tasks),
		}
	}
	m := map[string]any{
		"spec":   map[string]any{"path": e.SpecPath},
		"source": map[string]any{"uri": e.SourceURI, "commit": e.SourceCommit},
		"tasks":  strList(e.Tasks),
		"tier":   e.Tier,
	}
	if d := digestMap("sha256", e.SpecSHA256); d != nil {
		m["spec"].(map[string]any)["digest"] = d
	}
	if len(e.Calls) > 0 {
		calls := make([]any, 0, len(e.Calls))
		for _, c := range e.Calls {
			args := make([]any, 0, len(c.Args))
			for _, a := range c.Args {
				am := map[string]any{"name": a.Name}
				if a.Secret {
					am["secret"] = true
				} else {
					am["value"] = a.Value
				}
				if algo, hex, ok := strings.Cut(a.Digest, ":"); ok && !a.Secret {
					am["digest"] = map[string]any{algo: hex}
				}
				args = append(args, am)
			}
			cm := map[string]any{"task": c.Task, "module": c.Module, "function": c.Function, "args": args}
			if algo, hex, ok := strings.Cut(c.ModuleDigest, ":"); ok {
				// The engine's content digest of the module source (xxh3 on v0.19).
				cm["moduleDigest"] = map[string]any{algo: hex}
			}
			calls = append(calls, cm)
		}
		m["calls"] = calls
	}
	return m
}

func internalParams(in InternalParameters) map[string]any {
	m := map[string]any{
		"engineVersion": in.EngineVersion,
		"gateDecision":  in.GateDecision,
		"cacheMode":     in.CacheMode,
	}
	if d := digestMap("sha256", in.PolicyBundleSHA256); d != nil {
		m["policyBundleDigest"] = d
	}
	if g := in.Gateway; g != nil {
		m["gateway"] = map[string]any{"address": g.Address, "identity": g.Identity, "cacheMode": g.CacheMode}
	}
	if sv := in.Service; sv != nil {
		m["tier"], m["engine"], m["serverVersion"] = sv.Tier, sv.Engine, sv.ServerVersion
	}
	return m
}

func resolvedDeps(d BuildDescription) []*intoto.ResourceDescriptor {
	var out []*intoto.ResourceDescriptor
	if d.External.SourceURI != "" || d.External.SourceCommit != "" {
		rd := &intoto.ResourceDescriptor{Name: "source", Uri: d.External.SourceURI}
		if d.External.SourceCommit != "" {
			rd.Digest = map[string]string{"gitCommit": d.External.SourceCommit}
		}
		out = append(out, rd)
	}
	for _, im := range d.Dependencies.Images {
		out = append(out, &intoto.ResourceDescriptor{
			Name: "image:" + im.Ref, Uri: "oci://" + im.Ref,
			Digest: map[string]string{"sha256": strings.TrimPrefix(im.Digest, "sha256:")},
		})
	}
	// The repository content a call was handed (a directory or file
	// argument), by the argument's digest.
	for _, c := range d.External.Calls {
		for _, a := range c.Args {
			if algo, hex, ok := strings.Cut(a.Digest, ":"); ok && !a.Secret {
				out = append(out, &intoto.ResourceDescriptor{Name: "call:" + c.Task + ":--" + a.Name + "=" + a.Value,
					Digest: map[string]string{algo: hex}})
			}
		}
	}
	for _, m := range d.Dependencies.Modules {
		rd := &intoto.ResourceDescriptor{Name: "module:" + m.Name, Uri: m.Source}
		if m.Pin != "" {
			rd.Digest = map[string]string{"gitCommit": m.Pin}
		}
		out = append(out, rd)
	}
	if d.Internal.PolicyBundleSHA256 != "" {
		name := d.Dependencies.PolicyBundleName
		if name == "" {
			name = "policy-bundle"
		}
		out = append(out, &intoto.ResourceDescriptor{Name: name, Digest: map[string]string{"sha256": d.Internal.PolicyBundleSHA256}})
	}
	return out
}

func byproducts(b Byproducts) []*intoto.ResourceDescriptor {
	var out []*intoto.ResourceDescriptor
	if b.SBOMSHA256 != "" {
		name := b.SBOMName
		if name == "" {
			name = "sbom.cdx.json"
		}
		out = append(out, &intoto.ResourceDescriptor{Name: name, Digest: map[string]string{"sha256": b.SBOMSHA256}, MediaType: "application/vnd.cyclonedx+json"})
	}
	for _, l := range b.Logs {
		out = append(out, &intoto.ResourceDescriptor{Name: l.Name, Digest: map[string]string{"sha256": l.SHA256}, MediaType: "text/plain"})
	}
	return out
}
