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
