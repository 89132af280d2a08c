package pinline.gate_test

with_dep(d) := object.union(clean, {"modules": [object.union(module, {"dependencies": [d]})]})

with_module(m) := object.union(clean, {"modules": [m]})

test_pl001_unpinned_dependency if {
	inp := with_dep(object.union(dep, {"pin": ""}))
	"PL001" in ids(data.pinline.gate.deny) with input as inp
}

test_pl001_tag_pin_is_not_a_commit if {
	inp := with_dep(object.union(dep, {"pin": "v1.0.0"}))
	"PL001" in ids(data.pinline.gate.deny) with input as inp
}

test_pl001_commit_ref_is_a_pin if {
	r := object.union(dep.remote, {"ref": commit, "refKind": "commit"})
	inp := with_dep(object.union(dep, {"pin": "", "remote": r}))
	not "PL001" in ids(data.pinline.gate.deny) with input as inp
}

test_pl001_local_dependency_needs_no_pin if {
	inp := with_dep({"pos": p("dagger.json", 6), "kind": "dependency", "name": "x", "source": "./x", "pin": "", "local": true})
	count(data.pinline.gate.deny) == 0 with input as inp
}

test_pl002_branch_pin_warns if {
	r := object.union(dep.remote, {"ref": "main", "refKind": "branch"})
	inp := with_dep(object.union(dep, {"remote": r}))
	"PL002" in ids(data.pinline.gate.warn) with input as inp
	count(data.pinline.gate.deny) == 0 with input as inp
}

test_pl003_not_on_allowlist if {
	inp := object.union(clean, {"config": {"moduleAllowlist": ["github.com/other/"], "registryAllowlist": []}})
	"PL003" in ids(data.pinline.gate.deny) with input as inp
}

test_pl003_prefix_is_a_path_boundary if {
	inp := object.union(clean, {"config": {"moduleAllowlist": ["github.com/acme/li"], "registryAllowlist": []}})
	"PL003" in ids(data.pinline.gate.deny) with input as inp
}

test_pl003_on_allowlist if {
	inp := object.union(clean, {"config": {"moduleAllowlist": ["github.com/acme"], "registryAllowlist": []}})
	count(data.pinline.gate.deny) == 0 with input as inp
}

remote_sdk(pin) := {
	"pos": p("dagger.json", 4), "source": "github.com/acme/sdk@v1", "pin": pin, "builtin": false,
	"remote": {"module": "github.com/acme/sdk", "host": "github.com", "repo": "acme/sdk", "subpath": "", "ref": "v1", "refKind": "tag"},
}

test_pl004_remote_sdk_unpinned if {
	inp := with_module(object.union(module, {"sdk": remote_sdk("")}))
	"PL004" in ids(data.pinline.gate.deny) with input as inp
}

test_pl004_remote_sdk_pinned if {
	inp := with_module(object.union(module, {"sdk": remote_sdk(commit)}))
	count(data.pinline.gate.deny) == 0 with input as inp
}

test_pl005_missing_engine_version if {
	inp := with_module(object.union(module, {"engineVersion": ""}))
	"PL005" in ids(data.pinline.gate.warn) with input as inp
}

test_pl005_latest_engine_version if {
	inp := with_module(object.union(module, {"engineVersion": "latest"}))
	"PL005" in ids(data.pinline.gate.warn) with input as inp
}

test_pl005_workspace_config_needs_none if {
	inp := with_module(object.union(module, {"engineVersion": "", "format": "config.toml"}))
	count(data.pinline.gate.warn) == 0 with input as inp
}
