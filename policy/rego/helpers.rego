package pinline.gate

# is_commit is true for a full 40 hex commit id.
is_commit(s) if regex.match(`^[0-9a-f]{40}$`, s)

# is_digest is true for a sha256 image digest.
is_digest(s) if regex.match(`^sha256:[0-9a-f]{64}$`, s)

# commit_pinned is true when a remote source has a commit pin: a pin field
# holding a commit, or a source ref that is a commit.
commit_pinned(src) if is_commit(src.pin)

commit_pinned(src) if src.remote.refKind == "commit"

# under reports whether name equals prefix or lies below it. A prefix that
# ends in "/" matches only below it.
under(name, prefix) if name == trim_suffix(prefix, "/")

under(name, prefix) if startswith(name, concat("", [trim_suffix(prefix, "/"), "/"]))

# owner names a module configuration in messages: `module "name"`, or a
# workspace file (dagger.toml, .dagger/config.toml), which has no name, by
# its path.
owner(mod) := sprintf("module %q", [mod.name]) if mod.name != ""

owner(mod) := sprintf("workspace %s", [mod.pos.file]) if mod.name == ""

# dep_what names a dependency in messages: its kind and source, a module of
# a workspace by its name and source.
dep_what(dep) := sprintf("%s %q", [dep.kind, dep.source]) if dep.kind != "workspace"

dep_what(dep) := sprintf("module %q (source %q)", [dep.name, dep.source]) if dep.kind == "workspace"

# remote_sources are every remote module source with its kind and owner.
remote_sources contains {"what": concat(" ", [dep.kind, dep.name]), "src": dep, "module": owner(mod)} if {
	some mod in input.modules
	some dep in mod.dependencies
	dep.remote
}

remote_sources contains {"what": "sdk", "src": mod.sdk, "module": owner(mod)} if {
	some mod in input.modules
	mod.sdk.remote
}
