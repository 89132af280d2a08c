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

# PL020 is raised by pinline (not by a rule) when a repository's own policy
# data is ignored outside tier local; no waiver may hide it.
test_pl020_is_in_the_catalog if {
	data.pinline.gate.catalog.PL020.severity == "warn"
	data.pinline.gate.catalog.PL020.waivable == false
}

test_pl010_pl013_pl021_not_waivable if {
	data.pinline.gate.catalog.PL010.waivable == false
	data.pinline.gate.catalog.PL013.waivable == false
	data.pinline.gate.catalog.PL021.waivable == false
	not "waivable" in object.keys(data.pinline.gate.catalog.PL022)
}
