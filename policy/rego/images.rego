# Rules over container image references from every origin: pinline.yaml,
# dagger.lock, dagger.json and module source code.
package pinline.gate

# PL006: every image of the module configuration and source is referenced
# by digest (pinline.yaml images are PL021's).
deny contains {"id": "PL006", "msg": msg, "pos": img.pos, "ref": img.ref} if {
	some img in input.images
	img.origin != "spec"
	not is_digest(img.digest)
	msg := sprintf("%s image %q has no sha256 digest", [img.origin, img.ref])
}

# PL021: the images pinline itself runs (pinline.yaml) are pinned by digest;
# not waivable, the executor never pulls a moving tag.
deny contains {"id": "PL021", "msg": msg, "pos": img.pos, "ref": img.ref} if {
	some img in input.images
	img.origin == "spec"
	not is_digest(img.digest)
	msg := sprintf("%s: image %q is not pinned by digest (name:tag@sha256:<64 hex>)", [spec_image_what(img), img.ref])
}

default spec_image_what(_) := "defaultImage"

spec_image_what(img) := sprintf("images.%s", [img.name]) if img.via == "image"

spec_image_what(img) := sprintf("task %q", [img.name]) if img.via == "task"

spec_image_what(img) := sprintf("service %q", [img.name]) if img.via == "service"

# PL007: images come from allowed registries when an allowlist is configured.
deny contains {"id": "PL007", "msg": msg, "pos": img.pos, "ref": img.ref} if {
	count(input.config.registryAllowlist) > 0
	some img in input.images
	not registry_allowed(img)
	msg := sprintf("%s image %q: registry %q is not on the registry allowlist", [img.origin, img.ref, img.registry])
}

registry_allowed(img) if {
	some prefix in input.config.registryAllowlist
	under(concat("/", [img.registry, img.repository]), prefix)
}

# PL008: a digest without a meaningful tag hides what the image is.
warn contains {"id": "PL008", "msg": msg, "pos": img.pos, "ref": img.ref} if {
	some img in input.images
	problem := tag_problem[img.tag]
	msg := sprintf("%s image %q %s", [img.origin, img.ref, problem])
}

tag_problem := {"latest": "uses the latest tag", "": "has no tag"}

# PL012: what the gate cannot see, it reports.
warn contains {"id": "PL012", "msg": msg, "pos": u.pos} if {
	some u in input.unresolved
	msg := sprintf("%s image reference %q cannot be resolved statically: %s", [u.origin, u.expr, u.reason])
}
