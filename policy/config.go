package policy

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/pinline/pinline/spec"
)

// ConfigPath is where pinline looks for policy data, relative to the
// repository root.
const ConfigPath = ".pinline/policy.yaml"

// Config is the policy data of .pinline/policy.yaml:
//
//	moduleAllowlist: [github.com/acme/]
//	registryAllowlist: [ghcr.io/acme]
//	publishAllowlist: [registry.example/team/]   # where image outputs may push (PL023)
//	waivers:
//	  - rule: PL006
//	    path: ci/legacy/**
//	    reason: vendor image, tracked in SEC-12
//	    expires: 2026-12-31
type Config struct {
	ModuleAllowlist   []string `yaml:"moduleAllowlist" json:"moduleAllowlist"`
	RegistryAllowlist []string `yaml:"registryAllowlist" json:"registryAllowlist"`
	// PublishAllowlist are the registry/repository prefixes image outputs
	// may push to outside tier local (PL023).
	PublishAllowlist []string `yaml:"publishAllowlist" json:"publishAllowlist"`
	Waivers          []Waiver `yaml:"waivers" json:"waivers"`
}

// Waiver suppresses findings of one rule, selected by structured fields
// (the finding's file and/or its exact reference, never its message text),
// until it expires.
type Waiver struct {
	Rule string `yaml:"rule" json:"rule"`
	// Path is a glob over the finding's file, matched segment by segment
	// on "/" boundaries: "*" and "?" never cross a "/", a "**" segment
	// matches any number of segments, and "dir/" means "dir/**".
	Path string `yaml:"path" json:"path,omitempty"`
	// Ref is the exact reference the finding is about (an image reference,
	// a module source), compared byte for byte with the finding's ref.
	Ref string `yaml:"ref" json:"ref,omitempty"`
	// Match was a message substring; it is rejected (a look-alike
	// reference contains the waived one) and kept only to say so.
	Match  string `yaml:"match" json:"-"`
	Reason string `yaml:"reason" json:"reason"`
	// Expires is a date (2006-01-02, valid through that day, UTC) or an
	// RFC 3339 time.
	Expires string `yaml:"expires" json:"expires"`
	// Pos is where the waiver is written.
	Pos Pos `yaml:"-" json:"pos"`
	// until is the first instant the waiver no longer applies.
	until time.Time
}

// ParseError is malformed input: a file that does not parse or holds
// invalid values. It names the file and position. It is spec.Error: every
// input error of pinline has one type.
type ParseError = spec.Error

var yamlLine = regexp.MustCompile(`line (\d+):?`)

// ParseConfig parses policy data; file names the source in errors and
// waiver positions. An empty document is an empty Config.
func ParseConfig(file string, data []byte) (*Config, error) {
	cfg := &Config{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return nil, yamlErr(file, err)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlErr(file, err)
	}
	items := seqNodes(&root, "waivers")
	for i := range cfg.Waivers {
		w := &cfg.Waivers[i]
		w.Pos = Pos{File: file}
		if i < len(items) {
			w.Pos.Line, w.Pos.Column = items[i].Line, items[i].Column
		}
		if err := w.validate(); err != nil {
			return nil, &ParseError{File: file, Line: w.Pos.Line, Column: w.Pos.Column, Msg: fmt.Sprintf("waiver %d: %v", i+1, err)}
		}
	}
	for _, al := range []struct {
		key  string
		list []string
	}{{"moduleAllowlist", cfg.ModuleAllowlist}, {"registryAllowlist", cfg.RegistryAllowlist}, {"publishAllowlist", cfg.PublishAllowlist}} {
		key, l := al.key, al.list
		nodes := seqNodes(&root, key)
		for i, p := range l {
			if strings.TrimSpace(p) == "" {
				pe := &ParseError{File: file, Msg: key + ": empty allowlist entry"}
				if i < len(nodes) {
					pe.Line, pe.Column = nodes[i].Line, nodes[i].Column
				}
				return nil, pe
			}
		}
	}
	return cfg, nil
}

func yamlErr(file string, err error) error {
	pe := &ParseError{File: file}
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		pe.Line, _ = strconv.Atoi(m[1])
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n")
	var parts []string
	for _, l := range strings.Split(msg, "\n") {
		parts = append(parts, yamlLine.ReplaceAllString(strings.TrimSpace(l), ""))
	}
	pe.Msg = strings.TrimLeft(strings.Join(parts, "; "), ": ")
	return pe
}

// seqNodes returns the sequence items of a top-level key.
func seqNodes(root *yaml.Node, key string) []*yaml.Node {
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	m := root.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key && m.Content[i+1].Kind == yaml.SequenceNode {
			return m.Content[i+1].Content
		}
	}
	return nil
}

func (w *Waiver) validate() error {
	switch {
	case w.Rule == "":
		return errors.New("rule is required")
	case w.Match != "":
		return errors.New("match (a message substring) is not supported: waive by path (a glob of the file) or ref (the exact reference)")
	case w.Path == "" && w.Ref == "":
		return errors.New("path or ref is required")
	case strings.TrimSpace(w.Reason) == "":
		return errors.New("reason is required")
	case w.Expires == "":
		return errors.New("expires is required")
	}
	if err := validGlob(w.Path); err != nil {
		return err
	}
	if d, err := time.Parse(time.DateOnly, w.Expires); err == nil {
		w.until = d.AddDate(0, 0, 1)
		return nil
	}
	t, err := time.Parse(time.RFC3339, w.Expires)
	if err != nil {
		return fmt.Errorf("expires %q is neither a date (2006-01-02) nor an RFC 3339 time", w.Expires)
	}
	w.until = t
	return nil
}

// Expired reports whether the waiver no longer applies at now.
func (w *Waiver) Expired(now time.Time) bool { return !now.Before(w.until) }

// DefaultWaiverMaxAge caps how far after the evaluation time a waiver may
// expire (operators change it with --waiver-max-age).
const DefaultWaiverMaxAge = 90 * 24 * time.Hour

// CheckExpiry rejects waivers that expire more than maxAge after now: a
// waiver "until 9999-12-31" is a permanent exemption, not a waiver. The
// error is a *ParseError at the waiver (exit 2).
func (c *Config) CheckExpiry(now time.Time, maxAge time.Duration) error {
	if maxAge <= 0 {
		maxAge = DefaultWaiverMaxAge
	}
	limit := now.Add(maxAge)
	for i, w := range c.Waivers {
		if w.until.After(limit) {
			return &ParseError{File: w.Pos.File, Line: w.Pos.Line, Column: w.Pos.Column,
				Msg: fmt.Sprintf("waiver %d: expires %s is more than %s after the evaluation time %s (cap: --waiver-max-age)",
					i+1, w.Expires, FormatAge(maxAge), now.UTC().Format(time.RFC3339))}
		}
	}
	return nil
}

// ParseAge parses a waiver age: a number of days ("90d") or a Go duration
// ("2160h").
func ParseAge(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		d, err := strconv.Atoi(n)
		if err != nil || d <= 0 {
			return 0, fmt.Errorf("waiver max age %q: want a positive number of days (90d) or a duration (2160h)", s)
		}
		return time.Duration(d) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("waiver max age %q: want a positive number of days (90d) or a duration (2160h)", s)
	}
	return d, nil
}

// FormatAge renders an age in days when it is whole days.
func FormatAge(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	}
	return d.String()
}
