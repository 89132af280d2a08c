package pinline.gate_test

with_image(i) := object.union(clean, {"images": [i]})

lock := {"pos": p("dagger.lock", 5), "key": ["k"]}

with_lock(e) := object.union(clean, {"locks": [object.union(lock, e)]})

test_pl006_no_digest if {
	inp := with_image(object.union(image, {"origin": "dagger.json", "digest": "", "ref": "golang:1.26"}))
	ids(data.pinline.gate.deny) == {"PL006"} with input as inp
}

test_pl006_short_digest if {
	inp := with_image(object.union(image, {"origin": "go", "digest": "sha256:abc"}))
	ids(data.pinline.gate.deny) == {"PL006"} with input as inp
}

# A pinline.yaml image is PL021's (not waivable), reported once.
test_pl021_spec_image_no_digest if {
	inp := with_image(object.union(image, {"digest": "", "ref": "golang:1.26"}))
	ids(data.pinline.gate.deny) == {"PL021"} with input as inp
}

test_pl021_task_image_short_digest if {
	inp := with_image(object.union(image, {"via": "task", "name": "build", "digest": "sha256:abc"}))
	ids(data.pinline.gate.deny) == {"PL021"} with input as inp
}

test_pl007_registry_not_allowed if {
	inp := object.union(clean, {"config": {"moduleAllowlist": [], "registryAllowlist": ["ghcr.io"]}})
	"PL007" in ids(data.pinline.gate.deny) with input as inp
}

test_pl007_registry_prefix_allowed if {
	inp := object.union(clean, {"config": {"moduleAllowlist": [], "registryAllowlist": ["docker.io/library"]}})
	count(data.pinline.gate.deny) == 0 with input as inp
}

test_pl008_latest_tag if {
	inp := with_image(object.union(image, {"tag": "latest"}))
	"PL008" in ids(data.pinline.gate.warn) with input as inp
	count(data.pinline.gate.deny) == 0 with input as inp
}

test_pl008_untagged if {
	inp := with_image(object.union(image, {"tag": ""}))
	"PL008" in ids(data.pinline.gate.warn) with input as inp
}

test_pl009_branch_floats if {
	inp := with_lock({"kind": "git-latest", "value": "refs/heads/main"})
	"PL009" in ids(data.pinline.gate.deny) with input as inp
}

test_pl009_tag_resolution_is_fine if {
	inp := with_lock({"kind": "git-latest", "value": "refs/tags/v1.0.0"})
	count(data.pinline.gate.deny) == 0 with input as inp
}

test_pl009_oci_latest_floats if {
	inp := with_lock({"kind": "oci-latest", "value": "1.31.6"})
	"PL009" in ids(data.pinline.gate.deny) with input as inp
}

test_pl009_branch_with_sha_pair_is_pinned if {
	latest := object.union(lock, {"kind": "git-latest", "key": ["github.com/example/mod"], "value": "refs/heads/main"})
	sha := object.union(lock, {"kind": "git-sha", "key": ["github.com/example/mod", "refs/heads/main"], "value": commit})
	inp := object.union(clean, {"locks": [latest, sha]})
	count(data.pinline.gate.deny) == 0 with input as inp
}

test_pl009_oci_latest_with_sha_pair_is_pinned if {
	latest := object.union(lock, {"kind": "oci-latest", "key": ["docker.io/library/nginx"], "value": "1.31.6"})
	sha := object.union(lock, {"kind": "oci-sha", "key": ["docker.io/library/nginx:1.31.6"], "value": digest})
	inp := object.union(clean, {"locks": [latest, sha]})
	count(data.pinline.gate.deny) == 0 with input as inp
}

test_pl009_sha_pair_for_another_tag_does_not_pin if {
	latest := object.union(lock, {"kind": "oci-latest", "key": ["docker.io/library/nginx"], "value": "1.31.6"})
	sha := object.union(lock, {"kind": "oci-sha", "key": ["docker.io/library/nginx:1.31.5"], "value": digest})
	inp := object.union(clean, {"locks": [latest, sha]})
	"PL009" in ids(data.pinline.gate.deny) with input as inp
}

test_pl009_git_sha_needs_commit if {
	inp := with_lock({"kind": "git-sha", "value": "main"})
	"PL009" in ids(data.pinline.gate.deny) with input as inp
}

test_pl009_oci_sha_needs_digest if {
	inp := with_lock({"kind": "oci-sha", "value": "3.20"})
	"PL009" in ids(data.pinline.gate.deny) with input as inp
}

test_pl009_pinned_entries_pass if {
	count(data.pinline.gate.deny) == 0 with input as with_lock({"kind": "git-sha", "value": commit})
	count(data.pinline.gate.deny) == 0 with input as with_lock({"kind": "oci-sha", "value": digest})
}

test_pl012_unresolved_warns if {
	u := {"pos": p("main.go", 12), "origin": "go", "expr": "img", "reason": "variable"}
	inp := object.union(clean, {"unresolved": [u]})
	"PL012" in ids(data.pinline.gate.warn) with input as inp
}
