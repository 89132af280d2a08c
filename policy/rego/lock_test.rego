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
