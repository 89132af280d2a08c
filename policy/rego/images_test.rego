package pinline.gate_test

with_image(i) := object.union(clean, {"images": [i]})

test_pl006_no_digest if {
	inp := with_image(object.union(image, {"digest": "", "ref": "golang:1.26"}))
	"PL006" in ids(data.pinline.gate.deny) with input as inp
}

test_pl006_short_digest if {
	inp := with_image(object.union(image, {"digest": "sha256:abc"}))
	"PL006" in ids(data.pinline.gate.deny) with input as inp
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
