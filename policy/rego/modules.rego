# Rules over Dagger module configuration (dagger.json, dagger-module.toml,
# .dagger/config.toml).
package pinline.gate

# PL001: a remote dependency, toolchain or workspace module needs a commit pin.
deny contains {"id": "PL001", "msg": msg, "pos": dep.pos, "ref": dep.source} if {
	some mod in input.modules
	some dep in mod.dependencies
	dep.remote.refKind != "commit"
	not regex.match(`^[0-9a-f]{40}$`, dep.pin)
	msg := sprintf("%s: %s is not pinned to a commit", [owner(mod), dep_what(dep)])
}

# PL002: a commit pin on a source that names a branch floats on update.
warn contains {"id": "PL002", "msg": msg, "pos": dep.pos, "ref": dep.source} if {
	some mod in input.modules
	some dep in mod.dependencies
	dep.remote.refKind == "branch"
	is_commit(dep.pin)
	msg := sprintf("%s: %s pins a commit of branch %q; the next update moves it", [owner(mod), dep_what(dep), dep.remote.ref])
}

warn contains {"id": "PL002", "msg": msg, "pos": mod.sdk.pos, "ref": mod.sdk.source} if {
	some mod in input.modules
	mod.sdk.remote.refKind == "branch"
	is_commit(mod.sdk.pin)
	msg := sprintf("module %q: SDK %q pins a commit of branch %q; the next update moves it", [mod.name, mod.sdk.source, mod.sdk.remote.ref])
}

# PL003: module sources must come from the allowlist when one is configured.
deny contains {"id": "PL003", "msg": msg, "pos": s.src.pos, "ref": s.src.source} if {
	count(input.config.moduleAllowlist) > 0
	some s in remote_sources
	not module_allowed(s.src.remote.module)
	msg := sprintf("%s: %s source %q is not on the module allowlist", [s.module, s.what, s.src.remote.module])
}

module_allowed(name) if {
	some prefix in input.config.moduleAllowlist
	under(name, prefix)
}

# PL004: a remote SDK is code the engine runs; it needs a commit pin.
deny contains {"id": "PL004", "msg": msg, "pos": mod.sdk.pos, "ref": mod.sdk.source} if {
	some mod in input.modules
	mod.sdk.remote
	not commit_pinned(mod.sdk)
	msg := sprintf("module %q: SDK %q is not pinned to a commit", [mod.name, mod.sdk.source])
}

# PL005: engineVersion should name an exact engine release.
warn contains {"id": "PL005", "msg": msg, "pos": mod.pos} if {
	some mod in input.modules
	not mod.format in {"config.toml", "dagger.toml"}
	mod.engineVersion == ""
	msg := sprintf("module %q: engineVersion is missing", [mod.name])
}

warn contains {"id": "PL005", "msg": msg, "pos": mod.engineVersionPos} if {
	some mod in input.modules
	lower(mod.engineVersion) == "latest"
	msg := sprintf("module %q: engineVersion is %q, not an exact release", [mod.name, mod.engineVersion])
}

# PL027: a key repeated in one dagger.json object. Readers disagree on
# which one wins (pinline and Dagger take the last, some tools the first),
# so the file can show a reviewer one module and run another.
deny contains {"id": "PL027", "msg": msg, "pos": d.pos} if {
	some d in input.duplicateKeys
	msg := sprintf("%s: key %q appears again (first at line %d); the last one wins", [d.pos.file, d.key, d.first.line])
}
