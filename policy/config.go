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
//	waivers:
//	  - rule: PL006
//	    path: ci/legacy/**
//	    reason: vendor image, tracked in SEC-12
//	    expires: 2026-12-31
type Config struct {
	ModuleAllowlist   []string `yaml:"moduleAllowlist" json:"moduleAllowlist"`
	RegistryAllowlist []string `yaml:"registryAllowlist" json:"registryAllowlist"`
	Waivers           []Waiver `yaml:"waivers" json:"waivers"`
}

// Waiver suppresses findings of one rule, selected by file path and/or a
// message substring, until it expires.
type Waiver struct {
	Rule string `yaml:"rule" json:"rule"`
	// Path is a file path, a directory ("dir/" or "dir/**") or a glob
	// (path.Match) of the finding's file.
	Path string `yaml:"path" json:"path,omitempty"`
	// Match is a substring of the finding's message.
	Match  string `yaml:"match" json:"match,omitempty"`
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
	items := waiverNodes(&root)
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
	for _, l := range [][]string{cfg.ModuleAllowlist, cfg.RegistryAllowlist} {
		for _, p := range l {
			if strings.TrimSpace(p) == "" {
				return nil, &ParseError{File: file, Msg: "empty allowlist entry"}
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

// waiverNodes returns the sequence items of the top-level waivers key.
func waiverNodes(root *yaml.Node) []*yaml.Node {
	if root.Kind != yaml.DocumentNode || len(root.Content) == 0 || root.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	m := root.Content[0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == "waivers" && m.Content[i+1].Kind == yaml.SequenceNode {
			return m.Content[i+1].Content
		}
	}
	return nil
}

func (w *Waiver) validate() error {
	switch {
	case w.Rule == "":
		return errors.New("rule is required")
	case w.Path == "" && w.Match == "":
		return errors.New("path or match is required")
	case strings.TrimSpace(w.Reason) == "":
		return errors.New("reason is required")
	case w.Expires == "":
		return errors.New("expires is required")
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
