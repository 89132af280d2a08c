package admission

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/pinline/pinline/internal/errclass"
)

// Formats.
const (
	FormatKyverno          = "kyverno"
	FormatPolicyController = "policy-controller"
)

// Formats lists the valid formats.
var Formats = []string{FormatKyverno, FormatPolicyController}

// PredicateSLSAProvenanceV1 is the attestation type the policies require.
const PredicateSLSAProvenanceV1 = "https://slsa.dev/provenance/v1"

// ErrBadInput is an option that would make a wrong or unsafe policy.
var ErrBadInput = errclass.New(errclass.ErrBadInput, "bad admission policy options")

// Options say what the policy requires.
type Options struct {
	// Name of the policy object (default "pinline-provenance").
	Name string
	// PublicKeyPEM is the PEM public key the provenance is signed with.
	PublicKeyPEM string
	// BuilderID is the required runDetails.builder.id.
	BuilderID string
	// Tier, when set, is the required buildDefinition.externalParameters.tier.
	Tier string
	// Images are the image reference globs the policy applies to
	// (default: every image).
	Images []string
}

var nameRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

func (o *Options) check() error {
	if o.Name == "" {
		o.Name = "pinline-provenance"
	}
	switch {
	case !nameRE.MatchString(o.Name) || len(o.Name) > 63:
		return fmt.Errorf("%w: name %q is not a Kubernetes object name (lower-case letters, digits, -)", ErrBadInput, o.Name)
	case !strings.Contains(o.PublicKeyPEM, "-----BEGIN PUBLIC KEY-----"):
		return fmt.Errorf("%w: the key is not a PEM public key", ErrBadInput)
	case o.BuilderID == "":
		return fmt.Errorf("%w: a builder id is required", ErrBadInput)
	}
	// Kyverno evaluates {{ ... }} in values as JMESPath: a builder id or
	// tier must be a literal, never an expression.
	for what, v := range map[string]string{"builder id": o.BuilderID, "tier": o.Tier} {
		if strings.ContainsAny(v, "{}\n\r\"\\") {
			return fmt.Errorf("%w: %s %q contains a character that is not allowed ({ } \" \\ or a newline)", ErrBadInput, what, v)
		}
	}
	for _, im := range o.Images {
		if im == "" || strings.ContainsAny(im, " \n\r\"\\{}") {
			return fmt.Errorf("%w: image glob %q", ErrBadInput, im)
		}
	}
	return nil
}

// Export writes the policy in the given format as YAML.
func Export(format string, o Options) ([]byte, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	var v any
	switch format {
	case FormatKyverno:
		v = kyverno(o)
	case FormatPolicyController:
		v = policyController(o)
	default:
		return nil, fmt.Errorf("%w: unknown format %q, valid formats are %q", ErrBadInput, format, Formats)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return yaml.JSONToYAML(b)
}
