package pin

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/pinline/pinline/inventory"
)

// collectDaggerJSON finds the remote module references of a dagger.json:
// sdk and blueprint objects, and the object entries of dependencies and
// toolchains. Local sources and builtin SDKs are not pinned.
func collectDaggerJSON(f *file) error {
	root, err := parseJSONSpans(f.data)
	if err != nil {
		return &InputError{Pos: f.position(0), Err: err}
	}
	if root.kind != '{' {
		return &InputError{Pos: f.position(root.start), Err: errors.New("dagger.json: top level is not an object")}
	}
	if m := root.get("sdk"); m != nil && m.value.kind == '{' {
		collectSDK(f, m.value)
	} else if m != nil && m.value.kind == '"' {
		collectSourceString(f, m.value) // "sdk": "github.com/o/r/sdk@v1"
	}
	if m := root.get("blueprint"); m != nil && m.value.kind == '{' {
		collectModuleObject(f, m.value)
	}
	for _, key := range []string{"dependencies", "toolchains"} {
		m := root.get(key)
		if m == nil || m.value.kind != '[' {
			continue
		}
		for _, el := range m.value.elems {
			switch el.kind {
			case '{':
				collectModuleObject(f, el)
			case '"':
				collectSourceString(f, el)
			}
		}
	}
	return nil
}

func collectModuleObject(f *file, obj *jnode) {
	src := obj.get("source")
	if src == nil || src.value.kind != '"' {
		return
	}
	if !inventory.IsRemoteSource(src.value.str) {
		return
	}
	remote := inventory.ParseRemoteRef(src.value.str)
	s := site{
		pos:      f.position(src.value.start),
		kind:     "module",
		ref:      src.value.str,
		cloneURL: remote.CloneURL,
		gitRef:   remote.Ref,
	}
	if inventory.IsCommit(remote.Ref) {
		s.sourceCommit = remote.Ref
	}
	pin := obj.get("pin")
	switch {
	case pin != nil && pin.value.kind == '"':
		s.pinned = pin.value.str
	case pin == nil && s.sourceCommit != "":
		// The source itself names the commit: pinned.
		s.pinned = s.sourceCommit
	}
	data := f.data
	switch {
	case pin != nil:
		start, end := pin.value.start, pin.value.end
		s.edit = func(sha string) edit { return edit{off: start, end: end, text: strconv.Quote(sha)} }
	default:
		// Insert "pin" right after "source", copying the separator that
		// precedes the "source" key and the spacing around its colon.
		i := src.keyStart
		for i > 0 && isSpace(data[i-1]) {
			i--
		}
		sep := string(data[i:src.keyStart])
		colon := string(data[src.keyEnd:src.value.start])
		at := src.value.end
		s.edit = func(sha string) edit {
			return edit{off: at, end: at, text: "," + sep + `"pin"` + colon + strconv.Quote(sha)}
		}
	}
	f.sites = append(f.sites, s)
}

// collectSDK pins a remote SDK. Dagger's sdk object has no pin field (an
// added "pin" would be ignored), so the ref in source itself becomes the
// commit: github.com/o/r/sdk@v1 → github.com/o/r/sdk@<commit>.
func collectSDK(f *file, obj *jnode) {
	if src := obj.get("source"); src != nil && src.value.kind == '"' {
		collectSourceString(f, src.value)
	}
}

// collectSourceString pins a module source that has nowhere to put a pin
// (an sdk source, a legacy string dependency) by replacing its ref with
// the commit it resolves to.
func collectSourceString(f *file, v *jnode) {
	if !inventory.IsRemoteSource(v.str) {
		return
	}
	remote := inventory.ParseRemoteRef(v.str)
	s := site{pos: f.position(v.start), kind: "module", ref: v.str,
		cloneURL: remote.CloneURL, gitRef: remote.Ref}
	if inventory.IsCommit(remote.Ref) {
		s.sourceCommit, s.pinned = remote.Ref, remote.Ref
	}
	base := v.str
	if remote.Ref != "" {
		base = strings.TrimSuffix(base, "@"+remote.Ref)
	}
	start, end := v.start, v.end
	s.edit = func(sha string) edit { return edit{off: start, end: end, text: strconv.Quote(base + "@" + sha)} }
	f.sites = append(f.sites, s)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// lockLine is one entry of a dagger.lock.
func compactJSON(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return string(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}
