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
