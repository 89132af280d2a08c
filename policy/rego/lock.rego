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

# PL029: Dagger 1.0 ignores dagger.lock for clients older than API view
# v1.0.0-beta.10, so a module of such an engineVersion under a lock file
# gets none of its pins: what the lock seems to hold still floats for it.
warn contains {"id": "PL029", "msg": msg, "pos": mod.engineVersionPos} if {
	some lockfile in {e.pos.file | some e in input.locks}
	some mod in input.modules
	mod.format in {"dagger.json", "dagger-module.toml"}
	lock_applies(dir_of(lockfile), dir_of(mod.pos.file))
	ignores_lock(mod.engineVersion)
	msg := sprintf("module %q: engineVersion %s is older than v1.0.0-beta.10; Dagger 1.0 ignores %s for such clients, so none of its pins apply to this module", [mod.name, mod.engineVersion, lockfile])
}

dir_of(file) := regex.replace(file, `/?[^/]*$`, "")

lock_applies("", _)

lock_applies(lockdir, dir) if {
	lockdir != ""
	under(dir, lockdir)
}

ignores_lock(v) if {
	s := trim_prefix(v, "v")
	semver.is_valid(s)
	semver.compare(s, "1.0.0-beta.10") < 0
}
