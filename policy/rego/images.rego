# Rules over container image references from every origin: pinline.yaml,
# dagger.lock, dagger.json and module source code.
package pinline.gate

# PL006: every image is referenced by digest.
deny contains {"id": "PL006", "msg": msg, "pos": img.pos} if {
	some img in input.images
	not regex.match(`^sha256:[0-9a-f]{64}$`, img.digest)
	msg := sprintf("%s image %q has no sha256 digest", [img.origin, img.ref])
}

# PL007: images come from allowed registries when an allowlist is configured.
deny contains {"id": "PL007", "msg": msg, "pos": img.pos} if {
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
warn contains {"id": "PL008", "msg": msg, "pos": img.pos} if {
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
