package finding

import "strconv"

// Pos is a place in a file. Line and Column are 1-based; zero means
// unknown. File is relative to the repository (inventory) root, with
// forward slashes.
type Pos struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Column int    `json:"column"`
}

// Where is "file:line:col", "file:line", "file" or "" when unknown.
func (p Pos) Where() string {
	switch {
	case p.File == "":
		return ""
	case p.Line == 0:
		return p.File
	case p.Column == 0:
		return p.File + ":" + strconv.Itoa(p.Line)
	}
	return p.File + ":" + strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Column)
}

// Finding is one result of a rule: a violation or a warning of a gate.
type Finding struct {
	RuleID   string `json:"ruleId"`
	Severity string `json:"severity"`
	Message  string `json:"message"`
	// Ref is the exact reference the finding is about (an image
	// reference, a module source), when the rule names one; waivers with
	// ref match it byte for byte.
	Ref     string `json:"ref,omitempty"`
	Help    string `json:"help,omitempty"`
	HelpURI string `json:"helpUri,omitempty"`
	Pos     Pos    `json:"pos"`
	// Source is "default" for the embedded rules (the call rules PL030 and
	// PL031 among them; records written before they were catalogue rules
	// have "call" for pinline.exec.call_path/call_host), otherwise the user
	// package that produced the finding (data.pinline.user.<name>).
	Source string `json:"source"`
}
