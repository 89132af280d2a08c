package pinline.gate_test

with_image(i) := object.union(clean, {"images": [i]})

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

test_pl012_unresolved_warns if {
	u := {"pos": p("main.go", 12), "origin": "go", "expr": "img", "reason": "variable"}
	inp := object.union(clean, {"unresolved": [u]})
	"PL012" in ids(data.pinline.gate.warn) with input as inp
}
