package pinline.gate_test

with_task(t) := object.union(clean, {"specs": [{"path": "pinline.yaml", "name": "app", "pos": p("pinline.yaml", 1), "tasks": [t]}]})

test_pl010_literal_secret if {
	s := object.union(task.secrets[0], {"literal": true})
	inp := with_task(object.union(task, {"secrets": [s]}))
	"PL010" in ids(data.pinline.gate.deny) with input as inp
}

test_pl022_secret_named_env_literal if {
	inp := with_task(object.union(task, {"env": [{"name": "NPM_TOKEN", "literal": true}]}))
	ids(data.pinline.gate.deny) == {"PL022"} with input as inp
}

test_pl022_secret_named_env_without_value if {
	inp := with_task(object.union(task, {"env": [{"name": "NPM_TOKEN", "literal": false}]}))
	count(data.pinline.gate.deny) == 0 with input as inp
}

test_pl011_parent_mount if {
	m := object.union(task.mounts[0], {"source": "..", "resolved": ".."})
	inp := with_task(object.union(task, {"mounts": [m]}))
	"PL011" in ids(data.pinline.gate.deny) with input as inp
}

test_pl011_absolute_mount if {
	m := object.union(task.mounts[0], {"source": "/etc", "resolved": "/etc"})
	inp := with_task(object.union(task, {"mounts": [m]}))
	"PL011" in ids(data.pinline.gate.deny) with input as inp
}

test_pl011_dotdot_named_dir_is_inside if {
	m := object.union(task.mounts[0], {"source": "..cache", "resolved": "..cache"})
	inp := with_task(object.union(task, {"mounts": [m]}))
	count(data.pinline.gate.deny) == 0 with input as inp
}

test_pl013_host_backend_outside_local if {
	inp := object.union(clean, {"tier": "trusted", "run": {"backend": "host"}})
	"PL013" in ids(data.pinline.gate.deny) with input as inp
}

test_pl013_host_backend_local if {
	inp := object.union(clean, {"run": {"backend": "host"}})
	count(data.pinline.gate.deny) == 0 with input as inp
}

test_pl013_dagger_backend_anywhere if {
	inp := object.union(clean, {"tier": "trusted", "run": {"backend": "dagger"}})
	count(data.pinline.gate.deny) == 0 with input as inp
}

test_pl014_is_in_the_catalog if {
	data.pinline.gate.catalog.PL014.severity == "deny"
}

spec_sourced := object.union(task, {"secrets": [object.union(task.secrets[0], {"fromEnv": "CI_TOKEN"})]})

test_pl015_spec_source_outside_local if {
	inp := object.union(with_task(spec_sourced), {"tier": "untrusted"})
	"PL015" in ids(data.pinline.gate.deny) with input as inp
}

test_pl015_file_and_command_sources if {
	f := object.union(task.secrets[0], {"fromEnv": "", "fromFile": "../../etc/shadow"})
	c := object.union(task.secrets[0], {"name": "c", "fromEnv": "", "fromCommand": true})
	inp := object.union(with_task(object.union(task, {"secrets": [f, c]})), {"tier": "trusted"})
	count([x | some x in data.pinline.gate.deny; x.id == "PL015"]) == 2 with input as inp
}

test_pl015_spec_source_in_local_is_allowed if {
	count(data.pinline.gate.deny) == 0 with input as with_task(spec_sourced)
}

test_pl015_logical_secret_outside_local_is_allowed if {
	inp := object.union(with_task(task), {"tier": "untrusted"})
	count(data.pinline.gate.deny) == 0 with input as inp
}

test_pl015_is_not_waivable if {
	data.pinline.gate.catalog.PL015.nonWaivable
}

# PL020 is raised by pinline (not by a rule) when a repository's own policy
# data is ignored outside tier local; no waiver may hide it.
test_pl020_is_in_the_catalog if {
	data.pinline.gate.catalog.PL020.severity == "warn"
	data.pinline.gate.catalog.PL020.nonWaivable
}

test_pl010_pl013_pl021_not_waivable if {
	data.pinline.gate.catalog.PL010.nonWaivable
	data.pinline.gate.catalog.PL013.nonWaivable
	data.pinline.gate.catalog.PL021.nonWaivable
	not "nonWaivable" in object.keys(data.pinline.gate.catalog.PL022)
}

publishing(tier, allow) := object.union(with_task(object.union(task, {"publish": [{"pos": p("pinline.yaml", 12), "ref": "registry.example/team/app:v1", "repository": "registry.example/team/app"}]})),
	{"tier": tier, "config": {"moduleAllowlist": [], "registryAllowlist": [], "publishAllowlist": allow}})

test_pl023_untrusted_without_allowlist if {
	ids(data.pinline.gate.deny) == {"PL023"} with input as publishing("untrusted", [])
}

test_pl023_other_repository if {
	ids(data.pinline.gate.deny) == {"PL023"} with input as publishing("trusted", ["registry.example/team/app-other"])
}

test_pl023_allowed_prefix if {
	count(data.pinline.gate.deny) == 0 with input as publishing("trusted", ["registry.example/team/"])
}

test_pl023_local_tier if {
	count(data.pinline.gate.deny) == 0 with input as publishing("local", [])
}

test_pl023_not_waivable if {
	data.pinline.gate.catalog.PL023.nonWaivable
}

pushing := object.union(task, {"push": {"pos": p("pinline.yaml", 12), "remote": "https://git.example.test/org/app.git", "ref": "refs/heads/release"}})

with_run(inp, tier, remotes) := object.union(inp, {"tier": tier, "run": {"backend": "dagger", "pos": p("", 0), "pushRemotes": remotes}})

test_pl016_remote_not_listed_outside_local if {
	inp := with_run(with_task(pushing), "release", ["https://git.example.test/org/other.git"])
	ids(data.pinline.gate.deny) == {"PL016"} with input as inp
}

test_pl016_no_list_outside_local_denies if {
	inp := with_run(with_task(pushing), "release", [])
	"PL016" in ids(data.pinline.gate.deny) with input as inp
}

test_pl016_exact_and_prefix_entries_allow if {
	exact := with_run(with_task(pushing), "release", ["https://git.example.test/org/app.git"])
	count(data.pinline.gate.deny) == 0 with input as exact
	prefix := with_run(with_task(pushing), "release", ["https://git.example.test/org/"])
	count(data.pinline.gate.deny) == 0 with input as prefix
}

test_pl016_prefix_needs_a_slash if {
	# "https://git.example.test/or" is not a prefix entry: it must end in "/".
	inp := with_run(with_task(pushing), "release", ["https://git.example.test/or", "https://git.example.test/org/app"])
	"PL016" in ids(data.pinline.gate.deny) with input as inp
}

test_pl016_local_is_not_restricted if {
	inp := with_run(with_task(pushing), "local", [])
	count(data.pinline.gate.deny) == 0 with input as inp
}

test_pl016_is_not_waivable if {
	data.pinline.gate.catalog.PL016.nonWaivable
}

test_pl022_top_level_and_service_env if {
	sp := {"path": "pinline.yaml", "name": "app", "pos": p("pinline.yaml", 1), "tasks": [task],
		"env": [{"name": "DB_PASSWORD", "literal": true}],
		"services": [{"name": "db", "pos": p("pinline.yaml", 3), "image": "pg", "env": [{"name": "API_KEY", "literal": true}], "ports": [5432]}]}
	inp := object.union(clean, {"specs": [sp]})
	count([x | some x in data.pinline.gate.deny; x.id == "PL022"]) == 2 with input as inp
}
