package admission

// Kyverno ClusterPolicy (kyverno.io/v1), the fields pinline sets.
type kyvernoPolicy struct {
	APIVersion string      `json:"apiVersion"`
	Kind       string      `json:"kind"`
	Metadata   meta        `json:"metadata"`
	Spec       kyvernoSpec `json:"spec"`
}

type meta struct {
	Name        string            `json:"name"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

type kyvernoSpec struct {
	Background            bool          `json:"background"`
	WebhookTimeoutSeconds int           `json:"webhookTimeoutSeconds"`
	FailurePolicy         string        `json:"failurePolicy"`
	Rules                 []kyvernoRule `json:"rules"`
}

type kyvernoRule struct {
	Name         string               `json:"name"`
	Match        kyvernoMatch         `json:"match"`
	VerifyImages []kyvernoVerifyImage `json:"verifyImages"`
}

type kyvernoMatch struct {
	Any []kyvernoResourceFilter `json:"any"`
}

type kyvernoResourceFilter struct {
	Resources kyvernoResources `json:"resources"`
}

type kyvernoResources struct {
	Kinds []string `json:"kinds"`
}

type kyvernoVerifyImage struct {
	ImageReferences []string             `json:"imageReferences"`
	FailureAction   string               `json:"failureAction"`
	MutateDigest    bool                 `json:"mutateDigest"`
	VerifyDigest    bool                 `json:"verifyDigest"`
	Required        bool                 `json:"required"`
	Attestations    []kyvernoAttestation `json:"attestations"`
}

type kyvernoAttestation struct {
	Type       string               `json:"type"`
	Attestors  []kyvernoAttestorSet `json:"attestors"`
	Conditions []kyvernoAnyAllConds `json:"conditions"`
}

type kyvernoAttestorSet struct {
	Entries []kyvernoAttestor `json:"entries"`
}

type kyvernoAttestor struct {
	Keys kyvernoKeys `json:"keys"`
}

type kyvernoKeys struct {
	PublicKeys string       `json:"publicKeys"`
	Rekor      kyvernoRekor `json:"rekor"`
	CTLog      kyvernoCTLog `json:"ctlog"`
}

type kyvernoRekor struct {
	IgnoreTlog bool `json:"ignoreTlog"`
}

type kyvernoCTLog struct {
	IgnoreSCT bool `json:"ignoreSCT"`
}

type kyvernoAnyAllConds struct {
	All []kyvernoCondition `json:"all"`
}

type kyvernoCondition struct {
	Key      string `json:"key"`
	Operator string `json:"operator"`
	Value    string `json:"value"`
	Message  string `json:"message"`
}

// kyverno is the ClusterPolicy: every Pod's images (matching Images) must
// carry a SLSA v1 provenance attestation verified with the key, from the
// builder (and tier); the image is pinned to the verified digest. pinline
// signs offline (no transparency log), so the tlog and SCT checks are off:
// the key is the trust anchor.
func kyverno(o Options) kyvernoPolicy {
	images := o.Images
	if len(images) == 0 {
		images = []string{"*"}
	}
	conds := []kyvernoCondition{{Key: "{{ runDetails.builder.id }}", Operator: "Equals", Value: o.BuilderID,
		Message: "the provenance's builder is not " + o.BuilderID}}
	if o.Tier != "" {
		conds = append(conds, kyvernoCondition{Key: "{{ buildDefinition.externalParameters.tier }}", Operator: "Equals", Value: o.Tier,
			Message: "the provenance's tier is not " + o.Tier})
	}
	return kyvernoPolicy{
		APIVersion: "kyverno.io/v1", Kind: "ClusterPolicy",
		Metadata: meta{Name: o.Name, Annotations: annotations(o)},
		Spec: kyvernoSpec{
			Background: false, WebhookTimeoutSeconds: 30, FailurePolicy: "Fail",
			Rules: []kyvernoRule{{
				Name:  "pinline-slsa-provenance",
				Match: kyvernoMatch{Any: []kyvernoResourceFilter{{Resources: kyvernoResources{Kinds: []string{"Pod"}}}}},
				VerifyImages: []kyvernoVerifyImage{{
					ImageReferences: images, FailureAction: "Enforce", MutateDigest: true, VerifyDigest: true, Required: true,
					Attestations: []kyvernoAttestation{{
						Type: PredicateSLSAProvenanceV1,
						Attestors: []kyvernoAttestorSet{{Entries: []kyvernoAttestor{{Keys: kyvernoKeys{
							PublicKeys: o.PublicKeyPEM, Rekor: kyvernoRekor{IgnoreTlog: true}, CTLog: kyvernoCTLog{IgnoreSCT: true}}}}}},
						Conditions: []kyvernoAnyAllConds{{All: conds}},
					}},
				}},
			}},
		},
	}
}

func annotations(o Options) map[string]string {
	m := map[string]string{"pinline.dev/builder-id": o.BuilderID,
		"pinline.dev/generated-by": "pinline policy export"}
	if o.Tier != "" {
		m["pinline.dev/tier"] = o.Tier
	}
	return m
}
