package attest

// A git subject is a commit a run pushed: its name is
// git+<remote>@<ref> and its digest {"gitCommit": "<commit>"} (the in-toto
// digest set's name for a git commit id). Verification of files never
// matches it; a statement still needs one file subject, or only git
// subjects, to be well-formed.

// isGitCommit reports whether s is a full git commit id: 40 (SHA-1) or 64
// (SHA-256) lower-case hex digits.
func isGitCommit(s string) bool {
	return isHexLen(s, 40) || isHexLen(s, 64)
}

// subjectDigest is the digest set of a subject: gitCommit for a git
// subject, sha256 otherwise.
func subjectDigest(s Subject) map[string]string {
	if s.GitCommit != "" {
		return map[string]string{"gitCommit": s.GitCommit}
	}
	return map[string]string{"sha256": s.SHA256}
}
