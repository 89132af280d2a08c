package inventory

import (
	"bytes"
	"strings"
)

// Operations of dagger.lock entries pinline interprets. Dagger writes
// container.from and git.ref (lockfile versions 1 and 2); version 1 files
// may still hold git.head, git.branch and git.tag, which Dagger migrates to
// git.ref; the workspace betas wrote git-latest, git-sha, oci-latest,
// oci-sha and vanity-url. Other operations are kept as they are (Dagger
// itself accepts any) and never float.
const (
	LockContainerFrom = "container.from"
	LockGitRef        = "git.ref"
)

// ParseLock parses a dagger.lock file: a version header [["version","2"]]
// (or "1") followed by one JSON tuple per line, [namespace, operation,
// inputs, value] (version 1 adds a fifth element, the policy "pin" or
// "float"). Blank lines and lines starting with # are comments.
// container.from and oci-sha entries also yield an ImageRef carrying the
// digest. An unknown version, a malformed line or an image reference that
// does not parse is a *ParseError.
func ParseLock(file string, data []byte) ([]LockEntry, []ImageRef, error) {
	var entries []LockEntry
	var images []ImageRef
	version := ""
	lineNo := 0
	for len(data) > 0 {
		lineNo++
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		indent := len(line) - len(bytes.TrimLeft(line, " \t\r"))
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		n, err := parseJSON(file, line)
		if err != nil {
			pe := err.(*ParseError)
			pe.Line, pe.Column = lineNo, pe.Column+indent
			return nil, nil, pe
		}
		fail := func(n *jnode, msg string) error {
			return &ParseError{File: file, Line: lineNo, Column: n.col + indent, Msg: msg}
		}
		if version == "" {
			if n.kind != 'a' || len(n.vals) != 1 || n.vals[0].kind != 'a' || len(n.vals[0].vals) != 2 ||
				n.vals[0].vals[0].str != "version" {
				return nil, nil, fail(n, `dagger.lock must start with [["version","2"]]`)
			}
			v := n.vals[0].vals[1]
			if v.kind != 's' || v.str != "1" && v.str != "2" {
				return nil, nil, fail(v, "unsupported dagger.lock version "+v.str+" (want 1 or 2)")
			}
			version = v.str
			continue
		}
		want := 4
		if version == "1" {
			want = 5
		}
		if n.kind != 'a' || len(n.vals) != want {
			msg := "lock entry must be a 4-element array [namespace, operation, inputs, value]"
			if want == 5 {
				msg = "version 1 lock entry must be a 5-element array [namespace, operation, inputs, value, policy]"
			}
			return nil, nil, fail(n, msg)
		}
		ns, op, in, val := n.vals[0], n.vals[1], n.vals[2], n.vals[3]
		if ns.kind != 's' {
			return nil, nil, fail(ns, "lock entry namespace must be a string")
		}
		if op.kind != 's' || op.str == "" {
			return nil, nil, fail(op, "lock entry operation must be a non-empty string")
		}
		if in.kind != 'a' {
			return nil, nil, fail(in, "lock entry inputs must be an array")
		}
		e := LockEntry{Pos: Position{File: file, Line: lineNo, Column: n.col + indent},
			Version: version, Namespace: ns.str, Kind: op.str}
		if want == 5 {
			p := n.vals[4]
			if p.kind != 's' || p.str != "pin" && p.str != "float" {
				return nil, nil, fail(p, `lock entry policy must be "pin" or "float"`)
			}
			e.Policy = p.str
		}
		for _, k := range in.vals {
			switch {
			case k.kind == 's':
				e.Key = append(e.Key, k.str)
			case k.kind == 'a' && len(k.vals) == 2 && k.vals[0].kind == 's' && k.vals[1].kind == 's':
				if e.Params == nil {
					e.Params = map[string]string{}
				}
				e.Params[k.vals[0].str] = k.vals[1].str
			case k.kind == 'o':
				return nil, nil, fail(k, "lock entry inputs must not hold objects (their order is undefined)")
			default:
				// Numbers, booleans and null are valid inputs; pinline
				// keeps their text so that the key stays comparable.
				t := k.str
				if k.kind == 'z' {
					t = "null"
				}
				e.Key = append(e.Key, t)
			}
		}
		switch val.kind {
		case 's':
			e.Value = val.str
		case 'o':
			sha, ref := val.get("sha"), val.get("ref")
			if sha == nil || sha.kind != 's' || ref != nil && ref.kind != 's' {
				return nil, nil, fail(val, `lock entry value object must be {"sha": string, "ref": string}`)
			}
			e.Value = sha.str
			if ref != nil {
				e.Ref = ref.str
			}
		default:
			return nil, nil, fail(val, "lock entry value must be a string or a {sha, ref} object")
		}
		if isImageLock(e.Kind) {
			if len(e.Key) == 0 {
				return nil, nil, fail(in, e.Kind+" entry needs the image reference as its first input")
			}
			img, err := lockImage(e)
			if err != nil {
				return nil, nil, fail(in, e.Kind+" entry: "+err.Error())
			}
			images = append(images, img)
		}
		if isGitLock(e.Kind) && len(e.Key) == 0 {
			return nil, nil, fail(in, e.Kind+" entry needs the remote as its first input")
		}
		entries = append(entries, e)
	}
	if version == "" {
		return nil, nil, &ParseError{File: file, Line: 1, Column: 1, Msg: `dagger.lock has no [["version","2"]] header`}
	}
	markFloating(entries)
	return entries, images, nil
}

func isImageLock(op string) bool { return op == LockContainerFrom || op == "oci-sha" }

func isGitLock(op string) bool {
	switch op {
	case LockGitRef, "git.head", "git.branch", "git.tag", "git-latest", "git-sha":
		return true
	}
	return false
}

// lockImage is the image an entry locks: the reference of its first input
// with the entry's digest (none when the value is not a digest).
func lockImage(e LockEntry) (ImageRef, error) {
	ref := e.Key[0]
	if checkDigest(e.Value) == nil && !strings.Contains(ref, "@") {
		ref += "@" + e.Value
	}
	return newImageRef(e.Pos, "lock", e.Kind, e.Key[0], ref)
}

// markFloating sets Floating on the entries that do not pin what they
// name: a version 1 "float" policy; a container.from or oci-sha value
// that is not a digest; a git lookup whose value is not a commit; a
// git-latest or oci-latest resolution without the matching git-sha or
// oci-sha entry. An entry that names a tag without a digest or commit
// floats like one that names a branch.
func markFloating(entries []LockEntry) {
	sha := map[string]string{}
	for _, e := range entries {
		if (e.Kind == "git-sha" || e.Kind == "oci-sha") && len(e.Key) > 0 {
			k := e.Key[0]
			if e.Kind == "git-sha" && len(e.Key) > 1 {
				k += "\x00" + e.Key[1]
			}
			sha[e.Kind+"\x00"+k] = e.Value
		}
	}
	for i := range entries {
		e := &entries[i]
		switch {
		case e.Policy == "float":
			e.Floating = true
		case isImageLock(e.Kind):
			e.Floating = checkDigest(e.Value) != nil && !strings.Contains(e.Key[0], "@")
		case e.Kind == "git-latest":
			e.Floating = !IsCommit(sha["git-sha\x00"+e.Key[0]+"\x00"+e.Value])
		case e.Kind == "oci-latest":
			e.Floating = len(e.Key) == 0 || checkDigest(sha["oci-sha\x00"+e.Key[0]+":"+e.Value]) != nil
		case isGitLock(e.Kind):
			e.Floating = !IsCommit(e.Value)
		}
	}
}

// GitPin is what a git lock entry pins: the remote as a module source
// (host/org/repo, without scheme and .git), the selector it was resolved
// from (HEAD, refs/heads/..., refs/tags/... or a bare name) and the
// commit. ok is false for entries that are not git lookups with a commit.
func (e LockEntry) GitPin() (remote, selector, commit string, ok bool) {
	switch e.Kind {
	case LockGitRef, "git.branch", "git.tag", "git-sha":
		if len(e.Key) < 2 {
			return "", "", "", false
		}
		selector = e.Key[1]
		switch e.Kind {
		case "git.branch":
			selector = "refs/heads/" + strings.TrimPrefix(selector, "refs/heads/")
		case "git.tag":
			selector = "refs/tags/" + strings.TrimPrefix(selector, "refs/tags/")
		}
	case "git.head":
		selector = "HEAD"
	default:
		return "", "", "", false
	}
	if !IsCommit(e.Value) || len(e.Key) == 0 {
		return "", "", "", false
	}
	remote = e.Key[0]
	for _, p := range []string{"https://", "http://", "ssh://", "git://"} {
		remote = strings.TrimPrefix(remote, p)
	}
	if at := strings.Index(remote, "@"); at >= 0 && strings.HasPrefix(e.Key[0], "ssh://") {
		remote = remote[at+1:]
	}
	remote = strings.TrimSuffix(strings.TrimSuffix(remote, "/"), ".git")
	return remote, selector, e.Value, true
}

// LockAdded returns the entries of after that before does not have (by
// file, namespace, operation and inputs): what a run wrote to dagger.lock.
// An entry whose value changed is added too (its new value is what the run
// recorded).
func LockAdded(before, after []LockEntry) []LockEntry {
	key := func(e LockEntry) string {
		return e.Pos.File + "\x00" + e.Namespace + "\x00" + e.Kind + "\x00" + strings.Join(e.Key, "\x00") + "\x00" + sprintf("%v", e.Params)
	}
	had := make(map[string]string, len(before))
	for _, e := range before {
		had[key(e)] = e.Value
	}
	var out []LockEntry
	for _, e := range after {
		if v, ok := had[key(e)]; !ok || v != e.Value {
			out = append(out, e)
		}
	}
	return out
}
