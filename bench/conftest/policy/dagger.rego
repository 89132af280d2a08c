# The conftest equivalent of pinline's PL001 (remote module dependency
# without a commit pin), used by bench/conftest.sh on the same dagger.json
# files pinline checks.
package main

commit_pin := `^[0-9a-f]{40}$`

commit_ref := `@[0-9a-f]{40}$`

remote(source) if regex.match(`^[a-z0-9.-]+\.[a-z]+/`, source)

deny contains msg if {
	some dep in input.dependencies
	is_object(dep)
	remote(dep.source)
	not regex.match(commit_pin, object.get(dep, "pin", ""))
	not regex.match(commit_ref, dep.source)
	msg := sprintf("dependency %q is not pinned to a commit", [dep.source])
}

deny contains msg if {
	some dep in input.dependencies
	is_string(dep)
	remote(dep)
	not regex.match(commit_ref, dep)
	msg := sprintf("dependency %q is not pinned to a commit", [dep])
}
