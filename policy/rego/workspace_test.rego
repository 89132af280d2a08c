package pinline.gate_test

override := {"pos": p("config.toml", 4), "workspace": "github.com/acme/app", "env": "", "module": "helm",
	"source": "github.com/someone/helm@main", "pin": "", "settings": true}

added := {"pos": p("dagger.lock", 3), "version": "2", "namespace": "", "kind": "container.from",
	"key": ["alpine:3.20", "linux/amd64"], "params": {}, "value": digest, "ref": "", "policy": "", "floating": false}

test_pl025_user_override_warns_in_local if {
	inp := object.union(clean, {"userOverrides": [override]})
	some w in data.pinline.gate.warn with input as inp
	w.id == "PL025"
	contains(w.msg, `source "github.com/someone/helm@main", settings`)
	count(data.pinline.gate.deny) == 0 with input as inp
}

test_pl025_user_override_denied_outside_local if {
	inp := object.union(clean, {"tier": "trusted", "userOverrides": [object.union(override, {"env": "ci"})]})
	some d in data.pinline.gate.deny with input as inp
	d.id == "PL025"
	contains(d.msg, `in env "ci"`)
}

test_pl025_no_override_no_finding if {
	not "PL025" in ids(data.pinline.gate.deny) with input as object.union(clean, {"tier": "trusted", "userOverrides": []})
}

test_pl026_lock_added_warns if {
	inp := object.union(clean, {"lockAdded": [added], "frozen": false})
	"PL026" in ids(data.pinline.gate.warn) with input as inp
	count(data.pinline.gate.deny) == 0 with input as inp
}

test_pl026_frozen_denies if {
	"PL026" in ids(data.pinline.gate.deny) with input as object.union(clean, {"lockAdded": [added], "frozen": true})
}

test_pl027_duplicate_key_denied if {
	dk := {"pos": p("dagger.json", 9), "key": "dependencies[0].pin", "first": p("dagger.json", 8)}
	some d in data.pinline.gate.deny with input as object.union(clean, {"duplicateKeys": [dk]})
	d.id == "PL027"
	contains(d.msg, "first at line 8")
}

tagged_img := {"pos": p("ci/main.go", 12), "origin": "go", "via": "from", "name": "", "ref": "alpine:3.20",
	"registry": "docker.io", "repository": "library/alpine", "tag": "3.20", "digest": ""}

unpinned_mod := {"pos": p("dagger.json", 1), "format": "dagger.json", "name": "m", "engineVersion": "v0.19.10",
	"engineVersionPos": p("dagger.json", 1), "dependencies": [{
		"pos": p("dagger.json", 4), "kind": "dependency", "name": "dep", "source": "github.com/acme/dep@v1.0.0", "pin": "",
		"legacy": false, "env": "", "local": false, "pinned": false,
		"remote": {"host": "github.com", "repo": "acme/dep", "subpath": "", "ref": "v1.0.0", "refKind": "tag", "cloneURL": "https://github.com/acme/dep"},
	}]}

git_lock := {"pos": p("dagger.lock", 2), "version": "2", "namespace": "", "kind": "git.ref",
	"key": ["https://github.com/acme/dep.git", "refs/tags/v1.0.0"], "params": {}, "value": "0123456789012345678901234567890123456789",
	"ref": "refs/tags/v1.0.0", "policy": "", "floating": false}

test_pl028_frozen_denies_lookups_missing_from_the_lock if {
	inp := object.union(clean, {"frozen": true, "images": [tagged_img], "modules": [unpinned_mod]})
	found := {[d.pos.file, d.pos.line] | some d in data.pinline.gate.deny with input as inp; d.id == "PL028"}
	found == {["ci/main.go", 12], ["dagger.json", 4]}
}

test_pl028_not_without_frozen if {
	inp := object.union(clean, {"frozen": false, "images": [tagged_img], "modules": [unpinned_mod]})
	not "PL028" in ids(data.pinline.gate.deny) with input as inp
}

test_pl028_lock_entries_satisfy_frozen if {
	inp := object.union(clean, {"frozen": true, "images": [tagged_img], "modules": [unpinned_mod], "locks": [added, git_lock]})
	not "PL028" in ids(data.pinline.gate.deny) with input as inp
}

test_pl028_floating_lock_entry_does_not_satisfy_frozen if {
	floating := object.union(added, {"value": "", "floating": true})
	inp := object.union(clean, {"frozen": true, "images": [tagged_img], "locks": [floating]})
	"PL028" in ids(data.pinline.gate.deny) with input as inp
}

# A workspace file has no module name: PL001 names the file and the
# workspace module (named modules keep `module "app": dependency ...`).
test_pl001_workspace_module_named_in_message if {
	wsdep := object.union(dep, {"pos": p("dagger.toml", 6), "kind": "workspace", "name": "scanner",
		"source": "github.com/acme/scanner@v2", "pin": "",
		"remote": {"module": "github.com/acme/scanner", "host": "github.com", "repo": "acme/scanner", "subpath": "", "ref": "v2", "refKind": "tag"}})
	ws := {"pos": p("dagger.toml", 1), "format": "dagger.toml", "name": "", "engineVersion": "", "engineVersionPos": p("dagger.toml", 1),
		"dependencies": [wsdep]}
	unpinned := object.union(dep, {"pin": ""})
	inp := object.union(clean, {"modules": [object.union(module, {"dependencies": [unpinned]}), ws]})
	msgs := {d.msg | some d in data.pinline.gate.deny with input as inp; d.id == "PL001"}
	msgs == {
		`workspace dagger.toml: module "scanner" (source "github.com/acme/scanner@v2") is not pinned to a commit`,
		`module "app": dependency "github.com/acme/lint@v1.0.0" is not pinned to a commit`,
	}
}
