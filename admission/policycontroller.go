package admission

import (
	"encoding/json"
	"fmt"
	"strings"
)

// sigstore policy-controller ClusterImagePolicy (policy.sigstore.dev/v1beta1).
type clusterImagePolicy struct {
	APIVersion string  `json:"apiVersion"`
	Kind       string  `json:"kind"`
	Metadata   meta    `json:"metadata"`
	Spec       cipSpec `json:"spec"`
}

type cipSpec struct {
	Mode        string         `json:"mode"`
	Images      []cipImage     `json:"images"`
	Authorities []cipAuthority `json:"authorities"`
}

type cipImage struct {
	Glob string `json:"glob"`
}

type cipAuthority struct {
	Name         string           `json:"name"`
	Key          cipKey           `json:"key"`
	Attestations []cipAttestation `json:"attestations"`
}

type cipKey struct {
	Data          string `json:"data"`
	HashAlgorithm string `json:"hashAlgorithm"`
}

type cipAttestation struct {
	Name          string    `json:"name"`
	PredicateType string    `json:"predicateType"`
	Policy        cipPolicy `json:"policy"`
}

type cipPolicy struct {
	Type string `json:"type"`
	Data string `json:"data"`
}

// policyController is the ClusterImagePolicy: matching images must carry a
// SLSA v1 provenance attestation verified with the key (no ctlog: the
// transparency log is not consulted, pinline signs offline) whose statement
// passes the Rego policy (builder id, tier).
func policyController(o Options) clusterImagePolicy {
	images := o.Images
	if len(images) == 0 {
		images = []string{"**"}
	}
	var ims []cipImage
	for _, g := range images {
		ims = append(ims, cipImage{Glob: g})
	}
	return clusterImagePolicy{
		APIVersion: "policy.sigstore.dev/v1beta1", Kind: "ClusterImagePolicy",
		Metadata: meta{Name: o.Name, Annotations: annotations(o)},
		Spec: cipSpec{
			Mode:   "enforce",
			Images: ims,
			Authorities: []cipAuthority{{
				Name: "pinline",
				Key:  cipKey{Data: o.PublicKeyPEM, HashAlgorithm: "sha256"},
				Attestations: []cipAttestation{{
					Name: "pinline-slsa-provenance", PredicateType: PredicateSLSAProvenanceV1,
					Policy: cipPolicy{Type: "rego", Data: provenanceRego(o)},
				}},
			}},
		},
	}
}

// provenanceRego is the attestation policy: policy-controller evaluates
// data.sigstore.isCompliant on the in-toto statement. Values are JSON
// string literals (valid Rego strings).
func provenanceRego(o Options) string {
	lit := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	var b strings.Builder
	b.WriteString("package sigstore\n\nimport rego.v1\n\ndefault isCompliant := false\n\nisCompliant if {\n")
	fmt.Fprintf(&b, "\tinput.predicateType == %s\n", lit(PredicateSLSAProvenanceV1))
	fmt.Fprintf(&b, "\tinput.predicate.runDetails.builder.id == %s\n", lit(o.BuilderID))
	if o.Tier != "" {
		fmt.Fprintf(&b, "\tinput.predicate.buildDefinition.externalParameters.tier == %s\n", lit(o.Tier))
	}
	b.WriteString("}\n")
	return b.String()
}
