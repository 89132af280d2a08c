package attest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// PredicateTypeFor maps a --type value to a predicate type URI:
// "slsaprovenance1", "cyclonedx", or any URI (containing "://").
func PredicateTypeFor(name string) (string, error) {
	switch name {
	case "slsaprovenance1":
		return PredicateSLSAProvenanceV1, nil
	case "cyclonedx":
		return PredicateCycloneDX, nil
	}
	if strings.Contains(name, "://") {
		return name, nil
	}
	return "", fmt.Errorf("%w: unknown predicate type %q, valid types are %q or a URI", ErrBadInput, name, []string{"slsaprovenance1", "cyclonedx"})
}

// TypeBlob is the --type of message-signature bundles: a signed blob
// digest, no statement (cosign verify-blob --bundle).
const TypeBlob = "blob"

// statementDoc is the part of an in-toto statement verification reads.
type statementDoc struct {
	Type          string          `json:"_type"`
	Subject       []statementSubj `json:"subject"`
	PredicateType string          `json:"predicateType"`
	// Predicate is decoded straight into the SLSA v1 fields the
	// constraints read (one pass over the payload); predicateErr is set when
	// the predicate does not have that shape.
	Predicate    provenanceDoc `json:"predicate"`
	predicateErr error
}

type statementSubj struct {
	Name   string            `json:"name"`
	Digest map[string]string `json:"digest"`
}

// provenanceDoc is the part of a SLSA v1 (or v0.2) predicate the
// constraints read.
type provenanceDoc struct {
	BuildDefinition struct {
		BuildType          string `json:"buildType"`
		ExternalParameters struct {
			Source struct {
				URI string `json:"uri"`
			} `json:"source"`
			Tier string `json:"tier"`
			// Workflow is the GitHub Actions build type's
			// (slsa-github-generator, GitHub artifact attestations).
			Workflow struct {
				Ref        string `json:"ref"`
				Repository string `json:"repository"`
				Path       string `json:"path"`
			} `json:"workflow"`
		} `json:"externalParameters"`
		InternalParameters struct {
			// Gateway is nil when the run did not go through the
			// gateway (absent or null).
			Gateway *gatewayDoc `json:"gateway"`
		} `json:"internalParameters"`
	} `json:"buildDefinition"`
	RunDetails struct {
		Builder struct {
			ID string `json:"id"`
		} `json:"builder"`
	} `json:"runDetails"`
	// SLSA v0.2 (read only when the predicate type says so).
	Builder struct {
		ID string `json:"id"`
	} `json:"builder"`
	Invocation struct {
		ConfigSource struct {
			URI string `json:"uri"`
		} `json:"configSource"`
		Environment struct {
			GitHubRef string `json:"github_ref"`
		} `json:"environment"`
	} `json:"invocation"`
}

// gatewayDoc is internalParameters.gateway (see Gateway).
type gatewayDoc struct {
	Identity  string `json:"identity"`
	CacheMode string `json:"cacheMode"`
}

func parseStatement(payload []byte) (*statementDoc, error) {
	if st, ok := fastStatement(payload); ok {
		return st, nil
	}
	return parseStatementSlow(payload)
}

// parseStatementSlow is parseStatement with encoding/json only.
func parseStatementSlow(payload []byte) (*statementDoc, error) {
	var st statementDoc
	if err := json.Unmarshal(payload, &st); err != nil {
		var te *json.UnmarshalTypeError
		if !errors.As(err, &te) || !strings.HasPrefix(te.Field, "predicate.") {
			return nil, failed(ErrMalformedStatement, "%v", err)
		}
		// The predicate is not SLSA-shaped: only an error if it claims to be.
		st.predicateErr = err
	}
	return &st, nil
}

func (st *statementDoc) checkType() error {
	if st.Type != StatementTypeV1 && st.Type != StatementTypeV01 {
		return failed(ErrStatementType, "got %q, want %q (or %q)", st.Type, StatementTypeV1, StatementTypeV01)
	}
	return nil
}
