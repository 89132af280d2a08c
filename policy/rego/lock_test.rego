package pinline.gate_test

lock_entry := {"pos": p("dagger.lock", 5), "kind": "git.ref", "key": ["https://github.com/a/b", "refs/tags/v1"], "value": "", "policy": "", "floating": false}

with_lock_entry(e) := object.union(clean, {"locks": [object.union(lock_entry, e)]})

test_pl009_floating_entry_denied if {
	"PL009" in ids(data.pinline.gate.deny) with input as with_lock_entry({"floating": true})
}

test_pl009_float_policy_message if {
	some d in data.pinline.gate.deny with input as with_lock_entry({"floating": true, "policy": "float", "value": "x"})
	d.id == "PL009"
	contains(d.msg, "version 1 policy")
}

test_pl009_pinned_entry_passes if {
	count(data.pinline.gate.deny) == 0 with input as with_lock_entry({"value": "0123456789012345678901234567890123456789"})
}

pl029_lock := {"pos": p("dagger.lock", 2), "version": "2", "namespace": "", "kind": "container.from",
	"key": ["alpine:3.20", "linux/amd64"], "params": {}, "value": digest, "ref": "", "policy": "", "floating": false}

old_module := object.union(module, {"engineVersion": "v0.19.10"})

test_pl029_old_engine_version_ignores_the_lock if {
	some w in data.pinline.gate.warn with input as object.union(clean, {"locks": [pl029_lock], "modules": [old_module]})
	w.id == "PL029"
	w.pos == module.engineVersionPos
	contains(w.msg, "v0.19.10 is older than v1.0.0-beta.10")
}

for_version(v) := object.union(clean, {"locks": [pl029_lock], "modules": [object.union(module, {"engineVersion": v})]})

test_pl029_not_for_dagger_1_0 if {
	not "PL029" in ids(data.pinline.gate.warn) with input as for_version("v1.0.0-beta.10")
	not "PL029" in ids(data.pinline.gate.warn) with input as for_version("v1.0.0")
	not "PL029" in ids(data.pinline.gate.warn) with input as for_version("latest")
	"PL029" in ids(data.pinline.gate.warn) with input as for_version("v1.0.0-beta.9")
}

test_pl029_not_without_a_lock_or_for_a_module_outside_it if {
	not "PL029" in ids(data.pinline.gate.warn) with input as object.union(clean, {"modules": [old_module]})
	elsewhere := object.union(pl029_lock, {"pos": p("other/dagger.lock", 2)})
	not "PL029" in ids(data.pinline.gate.warn) with input as object.union(clean, {"locks": [elsewhere], "modules": [old_module]})
}
