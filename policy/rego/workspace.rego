# Rules over the Dagger 1.0 workspace configuration: user-level overrides
# and what a run added to dagger.lock.
package pinline.gate

# PL025: the user-level Dagger config (~/.config/dagger/config.toml or
# $DAGGER_CONFIG) overrides workspace modules outside the repository.
# Outside tier local it is refused; in tier local it is reported.
deny contains {"id": "PL025", "msg": user_override_msg(u), "pos": u.pos} if {
	input.tier != "local"
	some u in input.userOverrides
}

warn contains {"id": "PL025", "msg": user_override_msg(u), "pos": u.pos} if {
	input.tier == "local"
	some u in input.userOverrides
}

user_override_msg(u) := sprintf("user-level Dagger config overrides module %q of workspace %q%s: %s", [
	u.module, u.workspace, user_override_env(u), concat(", ", user_override_parts(u)),
])

user_override_env(u) := sprintf(" in env %q", [u.env]) if u.env != ""

else := ""

user_override_parts(u) := array.concat(
	array.concat([sprintf("source %q", [u.source]) | u.source != ""], [sprintf("pin %q", [u.pin]) | u.pin != ""]),
	["settings" | u.settings],
)

# PL026: entries a run added to dagger.lock (Dagger 1.0 writes what it
# resolved); denied with --frozen, reported otherwise.
deny contains {"id": "PL026", "msg": lock_added_msg(e), "pos": e.pos} if {
	input.frozen
	some e in input.lockAdded
}

warn contains {"id": "PL026", "msg": lock_added_msg(e), "pos": e.pos} if {
	not input.frozen
	some e in input.lockAdded
}

lock_added_msg(e) := sprintf("the run added dagger.lock %s entry %s = %q", [e.kind, concat(" ", [sprintf("%v", [k]) | some k in e.key]), e.value])

# PL028: with --frozen, a lookup the run would make that dagger.lock does
# not hold. Dagger 1.0 resolves and writes every missing entry, so such a
# run would change the lock: an image without a digest (container.from)
# and a remote module without a commit pin (git.ref) need their entry
# before the run.
deny contains {"id": "PL028", "msg": msg, "pos": img.pos, "ref": img.ref} if {
	input.frozen
	some img in input.images
	img.origin != "spec"
	img.origin != "lock"
	not is_digest(img.digest)
	not locked_image(img.ref)
	msg := sprintf("--frozen: %s image %q has no digest and dagger.lock has no container.from entry for it; the run would add one", [img.origin, img.ref])
}

deny contains {"id": "PL028", "msg": msg, "pos": dep.pos, "ref": dep.source} if {
	input.frozen
	some mod in input.modules
	some dep in mod.dependencies
	dep.remote.refKind != "commit"
	not is_commit(dep.pin)
	not locked_git(dep.remote)
	msg := sprintf("--frozen: %s: %s has no commit pin and dagger.lock has no git.ref entry for it; the run would add one", [owner(mod), dep_what(dep)])
}

locked_image(ref) if {
	some e in input.locks
	e.kind in {"container.from", "oci-sha"}
	e.key[0] == ref
	not e.floating
}

# locked_git: a git lookup of the same remote and ref with a commit.
locked_git(r) if {
	some e in input.locks
	e.kind in {"git.ref", "git.tag", "git.branch", "git.head", "git-sha"}
	not e.floating
	lock_remote(e.key[0]) == concat("/", [r.host, r.repo])
	lock_selects(e, r.ref)
}

lock_remote(url) := trim_suffix(trim_suffix(regex.replace(url, `^[a-z+]+://([^@/]*@)?`, ""), "/"), ".git")

lock_selects(e, "") if e.kind == "git.head"

lock_selects(e, "") if {
	e.kind != "git.head"
	e.key[1] == "HEAD"
}

lock_selects(e, ref) if {
	ref != ""
	e.kind != "git.head"
	regex.replace(e.key[1], `^refs/(heads|tags)/`, "") == ref
}
