package attest

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pinline/pinline/internal/errclass"
)

// Error classes. Every error Verify returns wraps exactly one of them, so a
// caller can map it to an exit code: ErrVerificationFailed → 1, ErrBadInput →
// 2, anything else (ErrOperational, I/O) → 3. They belong to the classes of
// internal/errclass (ErrDenied, ErrBadInput, ErrOperational).
var (
	ErrVerificationFailed = errclass.New(errclass.ErrDenied, "verification failed")
	ErrBadInput           = errclass.New(errclass.ErrBadInput, "bad input")
	ErrOperational        = errclass.New(errclass.ErrOperational, "operational error")
)

// Reasons for rejecting an attestation. Each is wrapped together with its
// class (see above); test them with errors.Is.
var (
	// Parsing (class ErrBadInput).
	ErrMalformedEnvelope = errors.New("malformed DSSE envelope")
	ErrMalformedBundle   = errors.New("malformed sigstore bundle")
	ErrInvalidBase64     = errors.New("invalid base64")
	ErrTrailingData      = errors.New("extra data after the attestation")

	// Signature (class ErrVerificationFailed).
	ErrNoSignatures      = errors.New("envelope carries no signatures")
	ErrSignatureMismatch = errors.New("no signature verifies with a trusted key")
	ErrPayloadType       = errors.New("unexpected DSSE payload type")

	// Statement (class ErrVerificationFailed).
	ErrMalformedStatement = errors.New("payload is not an in-toto statement")
	ErrStatementType      = errors.New("unsupported statement _type")
	ErrPredicateType      = errors.New("unexpected predicate type")
	ErrNoSubjects         = errors.New("statement has no subjects")
	ErrSubjectMismatch    = errors.New("artifact is not a subject of the attestation")
	ErrBuilderID          = errors.New("builder id does not match")
	ErrSourceURI          = errors.New("source URI does not match")
	ErrSourceRef          = errors.New("source ref does not match")
	ErrTier               = errors.New("tier does not match")
	ErrIdentity           = errors.New("gateway identity does not match")
	ErrCacheMode          = errors.New("gateway cache mode does not match")

	// Deploy policy.
	ErrPolicyDenied    = errors.New("deploy policy denied")            // ErrVerificationFailed
	ErrPolicyUndefined = errors.New("deploy policy is undefined")      // ErrVerificationFailed
	ErrPolicyEval      = errors.New("deploy policy evaluation failed") // ErrVerificationFailed

	// Keys (class ErrBadInput or ErrOperational for KMS).
	ErrKey = errors.New("cannot load key")
	ErrKMS = errors.New("KMS provider error")
)

// failed wraps reason as a verification failure with detail.
func failed(reason error, format string, args ...any) error {
	return fmt.Errorf("%w: %w: %s", ErrVerificationFailed, reason, fmt.Sprintf(format, args...))
}

// badInput wraps reason as bad input with detail.
func badInput(reason error, format string, args ...any) error {
	return fmt.Errorf("%w: %w: %s", ErrBadInput, reason, fmt.Sprintf(format, args...))
}

// SignatureError details a signature check that failed: how many signatures
// the envelope had and why each one did not verify.
type SignatureError struct {
	Signatures int      // signatures in the envelope
	Keys       int      // trusted keys tried
	Reasons    []string // one per signature
}

func (e *SignatureError) Error() string {
	return fmt.Sprintf("%v: %d signature(s), %d trusted key(s): %s", ErrSignatureMismatch, e.Signatures, e.Keys, strings.Join(e.Reasons, "; "))
}

// Is makes a SignatureError match ErrSignatureMismatch and its class.
func (e *SignatureError) Is(target error) bool {
	return target == ErrSignatureMismatch || errors.Is(ErrVerificationFailed, target)
}

// PolicyError is a deploy policy deny: the messages of every deny rule.
type PolicyError struct {
	Violations []string
}

func (e *PolicyError) Error() string {
	return "deploy policy denied: " + strings.Join(e.Violations, "; ")
}

// Is makes a PolicyError match ErrPolicyDenied and its class.
func (e *PolicyError) Is(target error) bool {
	return target == ErrPolicyDenied || errors.Is(ErrVerificationFailed, target)
}
