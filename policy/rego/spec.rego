# Rules over pinline.yaml specs and the run request.
package pinline.gate

# PL010: secrets are read at run time, never written into the spec (not
# waivable: the executor refuses a literal secret whatever the waivers).
deny contains {"id": "PL010", "msg": msg, "pos": sec.pos} if {
	some sp in input.specs
	some task in sp.tasks
	some sec in task.secrets
	sec.literal
	msg := sprintf("task %q: secret %q has a literal value in the spec", [task.name, sec.name])
}

# PL022: an env variable named like a secret with a literal value (a
# heuristic, so waivable).
deny contains {"id": "PL022", "msg": msg, "pos": task.pos} if {
	some sp in input.specs
	some task in sp.tasks
	some env in task.env
	env.literal
	secret_name(env.name)
	msg := sprintf("task %q: env %q looks like a secret and has a literal value; use secrets", [task.name, env.name])
}

deny contains {"id": "PL022", "msg": msg, "pos": sp.pos} if {
	some sp in input.specs
	some env in sp.env
	env.literal
	secret_name(env.name)
	msg := sprintf("env %q looks like a secret and has a literal value; use secrets", [env.name])
}

deny contains {"id": "PL022", "msg": msg, "pos": sv.pos} if {
	some sp in input.specs
	some sv in sp.services
	some env in sv.env
	env.literal
	secret_name(env.name)
	msg := sprintf("service %q: env %q looks like a secret and has a literal value", [sv.name, env.name])
}

secret_name(name) if regex.match(`(?i)(password|passwd|secret|token|api_?key|private_?key|credential)`, name)

# PL011: host mounts stay inside the repository.
deny contains {"id": "PL011", "msg": msg, "pos": m.pos} if {
	some sp in input.specs
	some task in sp.tasks
	some m in task.mounts
	escapes(m.resolved)
	msg := sprintf("task %q: mount source %q resolves to %q, outside the repository root", [task.name, m.source, m.resolved])
}

escapes(p) if p == ".."

escapes(p) if startswith(p, "../")

escapes(p) if startswith(p, "/")

# PL013: the host backend has no isolation; only tier local may use it.
deny contains finding("PL013", msg, object.get(input.run, "pos", {})) if {
	input.run.backend == "host"
	input.tier != "local"
	msg := sprintf("backend host is not allowed in tier %q", [input.tier])
}

# PL015: outside tier local the repository never chooses where a secret comes
# from: sources are the operator's (--secrets FILE). Never waivable.
deny contains {"id": "PL015", "msg": msg, "pos": sec.pos} if {
	input.tier != "local"
	some sp in input.specs
	some task in sp.tasks
	some sec in task.secrets
	kind := spec_secret_source(sec)
	msg := sprintf("task %q: secret %q names its own source (from.%s); secret sources outside tier local (here %q) come only from the operator's secrets file", [task.name, sec.name, kind, input.tier])
}

spec_secret_source(sec) := "env" if sec.fromEnv != ""

spec_secret_source(sec) := "file" if sec.fromFile != ""

spec_secret_source(sec) := "command" if sec.fromCommand

# PL023: outside tier local an image output pushes only under the
# operator's publishAllowlist (--policy-data): the repository chooses the
# ref, the operator's registry credentials do the push, so a pull request
# must not be able to overwrite a tag it was not given. Not waivable; the
# operator lists the prefixes instead.
deny contains {"id": "PL023", "msg": msg, "pos": out.pos, "ref": out.ref} if {
	input.tier != "local"
	some sp in input.specs
	some task in sp.tasks
	some out in task.publish
	not publish_allowed(out.repository)
	msg := sprintf("task %q: image output %q is not under the operator's publishAllowlist (tier %q)", [task.name, out.ref, input.tier])
}

publish_allowed(repo) if {
	some prefix in input.config.publishAllowlist
	under(repo, prefix)
}

# PL016: a task pushes only to a git remote the operator allows for the
# run's tier (the secrets file's remotes). Outside tier local a remote not
# on the list is denied before anything runs; in tier local the list, when
# the operator gives one, still binds credentials but does not restrict.
# Never waivable: the operator extends the list instead.
deny contains {"id": "PL016", "msg": msg, "pos": task.push.pos} if {
	input.run
	input.tier != "local"
	some sp in input.specs
	some task in sp.tasks
	task.push
	not push_allowed(task.push.remote)
	msg := sprintf("task %q: push to %q is not on the operator's remotes for tier %q", [task.name, task.push.remote, input.tier])
}

push_allowed(remote) if {
	some entry in input.run.pushRemotes
	endswith(entry, "/")
	startswith(remote, entry)
}

push_allowed(remote) if {
	some entry in input.run.pushRemotes
	entry == remote
}
