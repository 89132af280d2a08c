package render

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/pinline/pinline/policy"
)

// JUnit writes a JUnit XML report that CI dashboards read. There is one
// testsuite, "pinline check", and one testcase per rule and file:
//
//   - a rule with findings in a file is a testcase named "<rule> <file>"
//     (classname "pinline.<rule>"); violations are a <failure>, warnings a
//     <failure type="warn"> only with --fail-on-warn, otherwise they are
//     listed in <system-out> of a passing testcase;
//   - a catalog rule without findings is one passing testcase named
//     "<rule> <title>", so dashboards show what was checked.
func JUnit(w io.Writer, r Report) error {
	type key struct{ rule, file string }
	groups := map[key][]policy.Finding{}
	var order []key
	seen := map[string]bool{}
	for _, f := range all(r.Decision) {
		k := key{f.RuleID, fileOf(f)}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], f)
		seen[f.RuleID] = true
	}
	suite := junitSuite{Name: "pinline check"}
	for _, k := range order {
		fs := groups[k]
		tc := junitCase{Name: k.rule + " " + k.file, Classname: "pinline." + k.rule, File: k.file}
		var lines []string
		deny := false
		for _, f := range fs {
			lines = append(lines, fmt.Sprintf("%s:%d:%d %s %s", fileOf(f), f.Pos.Line, f.Pos.Column, f.Severity, f.Message))
			deny = deny || f.Severity == policy.SeverityDeny
		}
		body := strings.Join(lines, "\n")
		if fs[0].HelpURI != "" {
			body += "\nhelp: " + fs[0].HelpURI
		}
		switch {
		case deny:
			tc.Failure = &junitFailure{Type: "deny", Message: fmt.Sprintf("%d violation(s): %s", len(fs), fs[0].Message), Body: body}
			suite.Failures++
		case r.FailOnWarn:
			tc.Failure = &junitFailure{Type: "warn", Message: fmt.Sprintf("%d warning(s): %s", len(fs), fs[0].Message), Body: body}
			suite.Failures++
		default:
			tc.SystemOut = body
		}
		suite.Cases = append(suite.Cases, tc)
	}
	for _, rule := range r.Rules {
		if !seen[rule.ID] {
			suite.Cases = append(suite.Cases, junitCase{Name: rule.ID + " " + rule.Title, Classname: "pinline." + rule.ID})
		}
	}
	suite.Tests = len(suite.Cases)
	out := junitSuites{Name: "pinline", Tests: suite.Tests, Failures: suite.Failures, Suites: []junitSuite{suite}}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Type    string `xml:"type,attr"`
	Message string `xml:"message,attr"`
	Body    string `xml:",chardata"`
}
