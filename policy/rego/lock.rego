# Rules over dagger.lock entries (lockfile versions 1 and 2).
package pinline.gate

# PL009: dagger.lock entries must not float. inventory decides what
# floats (a version 1 "float" policy, an image without a digest, a git
# lookup without a commit, a beta "latest" resolution without its "sha"
# entry): an entry that names a tag without a digest or commit floats like
# one that names a branch.
deny contains {"id": "PL009", "msg": msg, "pos": e.pos} if {
	some e in input.locks
	e.floating
	msg := sprintf("dagger.lock %s entry %s %s, which floats", [e.kind, concat(" ", [sprintf("%v", [k]) | some k in e.key]), lock_floats_because(e)])
}

lock_floats_because(e) := "has the version 1 policy \"float\" (resolved again at every run)" if {
	e.policy == "float"
} else := sprintf("resolves to %q", [e.value]) if {
	e.value != ""
} else := "has no resolved value"
