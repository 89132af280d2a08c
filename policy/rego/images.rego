# Rules over container image references from every origin: pinline.yaml,
# dagger.lock, dagger.json and module source code.
package pinline.gate

# PL006: every image is referenced by digest.
deny contains finding("PL006", msg, img.pos) if {
	some img in input.images
	not is_digest(img.digest)
	msg := sprintf("%s image %q has no sha256 digest", [img.origin, img.ref])
}

# PL007: images come from allowed registries when an allowlist is configured.
deny contains finding("PL007", msg, img.pos) if {
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
warn contains finding("PL008", msg, img.pos) if {
	some img in input.images
	img.tag == "latest"
	msg := sprintf("%s image %q uses the latest tag", [img.origin, img.ref])
}

warn contains finding("PL008", msg, img.pos) if {
	some img in input.images
	img.tag == ""
	msg := sprintf("%s image %q has no tag", [img.origin, img.ref])
}

# PL009: dagger.lock entries must not float.
deny contains finding("PL009", msg, e.pos) if {
	some e in input.locks
	floating_lock(e)
	msg := sprintf("dagger.lock %s entry %s resolves to %q, which floats", [e.kind, concat(" ", [sprintf("%v", [k]) | some k in e.key]), e.value])
}

floating_lock(e) if {
	e.kind == "git-latest"
	startswith(e.value, "refs/heads/")
}

floating_lock(e) if e.kind == "oci-latest"

floating_lock(e) if {
	e.kind == "git-sha"
	not is_commit(e.value)
}

floating_lock(e) if {
	e.kind == "oci-sha"
	not is_digest(e.value)
}

# PL012: what the gate cannot see, it reports.
warn contains finding("PL012", msg, u.pos) if {
	some u in input.unresolved
	msg := sprintf("%s image reference %q cannot be resolved statically: %s", [u.origin, u.expr, u.reason])
}
