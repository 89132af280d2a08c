package report

import (
	"time"

	"github.com/pinline/pinline/record"
)

// Schema identifies the JSON report format documented in docs/report.md.
const Schema = "https://pinline.dev/report/v1"

// Verdicts of the signature check made at report time.
const (
	VerdictVerified  = "verified"    // a given key verified the DSSE signature
	VerdictInvalid   = "invalid"     // signatures present, none verified with the given keys
	VerdictUnsigned  = "unsigned"    // no provenance, or an envelope without signatures
	VerdictUnchecked = "not checked" // no key was given (--key)
	VerdictMalformed = "malformed"   // the provenance file is not a DSSE envelope
)

// Report is the whole audit report; the JSON renderer writes it as is.
type Report struct {
	Schema      string      `json:"schema"`
	GeneratedAt time.Time   `json:"generatedAt"`
	RunsDir     string      `json:"runsDir"`
	Since       *time.Time  `json:"since,omitempty"`
	KeysChecked int         `json:"keysChecked"`
	Summary     Summary     `json:"summary"`
	Runs        []RunReport `json:"runs"`
	// Errors are run directories that could not be read (corrupt run.json).
	Errors []LoadError `json:"errors"`
}

// LoadError is a run directory that could not be read.
type LoadError struct {
	Path  string `json:"path"`
	Error string `json:"error"`
}

// Summary aggregates over every readable run.
type Summary struct {
	Runs      int     `json:"runs"`
	ByStatus  []Count `json:"byStatus"`
	ByTier    []Count `json:"byTier"`
	ByVerdict []Count `json:"byVerdict"`
	// PolicyPassRate is allowed decisions / runs with a decision (0..1).
	PolicyPassRate   float64     `json:"policyPassRate"`
	PolicyAllowed    int         `json:"policyAllowed"`
	PolicyDecided    int         `json:"policyDecided"`
	ViolationsByRule []Count     `json:"violationsByRule"`
	Waivers          []WaiverUse `json:"waivers"`
	// Timeline is one point per UTC day with runs.
	Timeline []DayPoint `json:"timeline"`
}

// Count is a labelled count, sorted by count descending then label.
type Count struct {
	Key   string `json:"key"`
	Count int    `json:"count"`
}

// WaiverUse is a waiver applied in at least one run.
type WaiverUse struct {
	RuleID  string `json:"ruleId"`
	Expires string `json:"expires,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Runs    int    `json:"runs"`
	// Expired is true when Expires is before the report time.
	Expired bool `json:"expired"`
	// ExpiresInDays is negative when expired; absent when unknown.
	ExpiresInDays *int `json:"expiresInDays,omitempty"`
}

// DayPoint counts unpinned dependencies and undigested images of the runs
// started on one UTC day.
type DayPoint struct {
	Day              string `json:"day"`
	Runs             int    `json:"runs"`
	UnpinnedModules  int    `json:"unpinnedModules"`
	UndigestedImages int    `json:"undigestedImages"`
	Violations       int    `json:"violations"`
}

// RunReport is everything the report says about one run.
type RunReport struct {
	Dir        string      `json:"dir"`
	ID         string      `json:"id"`
	Status     string      `json:"status"`
	Error      string      `json:"error,omitempty"`
	StartedAt  time.Time   `json:"startedAt"`
	FinishedAt time.Time   `json:"finishedAt"`
	DurationMS int64       `json:"durationMs"`
	User       string      `json:"user,omitempty"`
	Host       string      `json:"host,omitempty"`
	Identity   string      `json:"identity,omitempty"`
	Tier       string      `json:"tier"`
	BuilderID  string      `json:"builderId"`
	CacheMode  string      `json:"cacheMode,omitempty"`
	Engine     EngineInfo  `json:"engine"`
	Repository RepoInfo    `json:"repository"`
	Tasks      []TaskInfo  `json:"tasks"`
	Policy     PolicyInfo  `json:"policy"`
	SBOM       SBOMInfo    `json:"sbom"`
	Provenance ProvInfo    `json:"provenance"`
	SLSA       []SLSALevel `json:"slsa"`
	// UnpinnedModules are module sources without a pin; UndigestedImages
	// are image references without a digest (both from run.json).
	UnpinnedModules  []string `json:"unpinnedModules"`
	UndigestedImages []string `json:"undigestedImages"`
	// Problems are inconsistencies found while reading the run's files.
	Problems []string `json:"problems"`
}

// EngineInfo is where the run's tasks ran (run.json's engine endpoint).
type EngineInfo struct {
	record.Endpoint
	// Unauthorized is set for a run on an engine's own TLS listener
	// (engine-native): the engine accepted the certificate but did not
	// authorize the identity, and the tier was only requested.
	Unauthorized string `json:"unauthorized,omitempty"`
}

// RepoInfo is the built source (run.json's repository without its host
// path).
type RepoInfo = record.Source

// TaskInfo is one task in the run's timeline.
type TaskInfo struct {
	Name       string    `json:"name"`
	Status     string    `json:"status"`
	ExitCode   int       `json:"exitCode"`
	StartedAt  time.Time `json:"startedAt"`
	OffsetMS   int64     `json:"offsetMs"`
	DurationMS int64     `json:"durationMs"`
	Image      string    `json:"image,omitempty"`
	// Caches are "name (mode)" of each cache volume mounted.
	Caches []string `json:"caches"`
	// Cached says whether the engine served the task's exec from its cache
	// (run.json "cached"); null when the record does not say.
	Cached *bool `json:"cached"`
}

// ExecCache is Cached for people: "hit", "ran" or "unknown".
func (t TaskInfo) ExecCache() string {
	switch {
	case t.Cached == nil:
		return "unknown"
	case *t.Cached:
		return "hit"
	}
	return "ran"
}

// PolicyInfo is the gate decision (decision.json, or the run.json summary
// when decision.json is missing).
type PolicyInfo struct {
	Source       string    `json:"source"` // "decision.json", "run.json" or "none"
	Allow        bool      `json:"allow"`
	InputSHA256  string    `json:"inputSha256,omitempty"`
	BundleSHA256 string    `json:"bundleSha256,omitempty"`
	Violations   []Finding `json:"violations"`
	Warnings     []Finding `json:"warnings"`
	Waived       []Finding `json:"waived"`
	// WaivedCount is the number of waived findings; it can exceed
	// len(Waived) when decision.json records only a count.
	WaivedCount int `json:"waivedCount"`
}

// SBOMInfo summarises sbom.cdx.json.
type SBOMInfo struct {
	Present        bool    `json:"present"`
	Error          string  `json:"error,omitempty"`
	SpecVersion    string  `json:"specVersion,omitempty"`
	Components     int     `json:"components"`
	ByType         []Count `json:"byType"`
	Modules        int     `json:"modules"`
	ModulesPinned  int     `json:"modulesPinned"`
	Images         int     `json:"images"`
	ImagesDigested int     `json:"imagesDigested"`
	Outputs        int     `json:"outputs"`
	OutputsHashed  int     `json:"outputsHashed"`
}

// ProvInfo is the provenance and its signature verdict, re-checked at
// report time.
type ProvInfo struct {
	Present       bool      `json:"present"`
	Bundle        bool      `json:"bundle"`
	Verdict       string    `json:"verdict"`
	VerdictDetail string    `json:"verdictDetail,omitempty"`
	PredicateType string    `json:"predicateType,omitempty"`
	BuildType     string    `json:"buildType,omitempty"`
	BuilderID     string    `json:"builderId,omitempty"`
	Subjects      []Subject `json:"subjects"`
	// SubjectsMatchOutputs is true when every output in run.json appears as
	// a subject with the same sha256.
	SubjectsMatchOutputs bool `json:"subjectsMatchOutputs"`
	// ServiceTier is internalParameters.tier of a run `pinline serve`
	// signed; ExternalParametersComplete says its externalParameters are
	// exactly the submission recorded in run.json.
	ServiceTier                string `json:"serviceTier,omitempty"`
	ExternalParametersComplete bool   `json:"externalParametersComplete,omitempty"`
}

// Subject is an in-toto subject.
type Subject struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
}

// SLSA checklist answers.
const (
	SLSAMet        = "met"
	SLSANotMet     = "not met"
	SLSANotChecked = "not checked"
)

// SLSALevel is one SLSA Build track level with its requirements.
type SLSALevel struct {
	Level        string     `json:"level"` // "L1", "L2", "L3"
	Status       string     `json:"status"`
	Requirements []SLSAItem `json:"requirements"`
}

// SLSAItem is one requirement and the evidence behind the answer.
type SLSAItem struct {
	Requirement string `json:"requirement"`
	Status      string `json:"status"`
	Evidence    string `json:"evidence"`
}
