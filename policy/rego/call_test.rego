package pinline.gate_test

call_arg(name, arg, reaches) := {"name": name, "arg": arg, "secret": false, "reaches": reaches, "outside": ""}

with_call(tier, from_spec, args) := object.union(clean, {"tier": tier, "run": {"backend": "dagger", "pushRemotes": [], "calls": [{
	"pos": p("pinline.yaml", 12), "task": "c", "fromSpec": from_spec,
	"module": "ci", "moduleOutside": "", "args": args,
}]}})

call_denies(inp) := {[f.id, f.msg] | some f in data.pinline.gate.deny with input as inp}

test_pl030_call_inside_is_clean if {
	inp := with_call("trusted", true, [call_arg("src", "--src=.", "path"), call_arg("repo", "--repo=https://git.example.test/a.git", "")])
	count(data.pinline.gate.deny) == 0 with input as inp
}

test_pl030_path_outside if {
	a := object.union(call_arg("src", "--src=../..", "path"), {"outside": "path escapes the repository: resolves to /"})
	call_denies(with_call("local", false, [a])) == {["PL030", `task "c": argument --src=../..: path escapes the repository: resolves to /`]}
}

test_pl030_module_outside if {
	inp := with_call("local", false, [])
	c := object.union(inp.run.calls[0], {"moduleOutside": "path escapes the repository: resolves to /etc"})
	call_denies(object.union(inp, {"run": {"calls": [c]}})) == {["PL030", `task "c": module "ci": path escapes the repository: resolves to /etc`]}
}

test_pl030_write_to_host if {
	call_denies(with_call("local", true, [call_arg("", "export", "write")])) == {["PL030", `task "c": argument "export" would write to the host; export the result with call.output`]}
}

test_pl031_host_socket if {
	d := call_denies(with_call("local", false, [call_arg("docker", "--docker=unix:///var/run/docker.sock", "socket")]))
	d == {["PL031", `task "c": argument --docker=unix:///var/run/docker.sock hands the function a host socket`]}
}

test_pl031_repository_secret_outside_local_once if {
	# a file: secret outside the repository chosen by the repository: one
	# finding (PL031), not a second one for its path
	a := {"name": "token", "arg": "--token=***", "secret": true, "reaches": "path", "outside": "path escapes the repository"}
	d := call_denies(with_call("trusted", true, [a]))
	d == {["PL031", `task "c": argument --token=*** reads a host secret; outside tier local a repository's call task cannot choose host secrets`]}
}

test_pl031_command_line_secret_allowed if {
	a := {"name": "token", "arg": "--token=***", "secret": true, "reaches": "", "outside": ""}
	count(data.pinline.gate.deny) == 0 with input as with_call("trusted", false, [a])
}

test_pl031_not_waivable if {
	data.pinline.gate.catalog.PL030.nonWaivable
	data.pinline.gate.catalog.PL031.nonWaivable
}
