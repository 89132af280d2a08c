# Rules over module source code that reaches the host beyond what the module
# was handed (input.lints, found by inventory.LintSource).
package pinline.gate

# PL035: Host().Directory with a path chosen at run time.
deny contains {"id": "PL035", "msg": msg, "pos": l.pos} if {
	some l in input.lints
	l.kind == "host-directory-dynamic"
	msg := sprintf("%s module source reads a host directory from a non-literal path %q", [l.origin, l.expr])
}

# PL036: Host().File with a path chosen at run time.
deny contains {"id": "PL036", "msg": msg, "pos": l.pos} if {
	some l in input.lints
	l.kind == "host-file-dynamic"
	msg := sprintf("%s module source reads a host file from a non-literal path %q", [l.origin, l.expr])
}

# PL037: a host secret copied into a plain environment variable.
deny contains {"id": "PL037", "msg": msg, "pos": l.pos} if {
	some l in input.lints
	l.kind == "secret-env"
	msg := sprintf("%s module source sets %s from the host environment with WithEnvVariable; it is then visible in logs, caches and the container config", [l.origin, l.name])
}

# PL038: a host unix socket handed to the pipeline.
deny contains {"id": "PL038", "msg": msg, "pos": l.pos} if {
	some l in input.lints
	l.kind == "host-socket"
	msg := sprintf("%s module source mounts the host socket %s", [l.origin, l.expr])
}

# PL039: the host's network reached as a service.
warn contains {"id": "PL039", "msg": msg, "pos": l.pos} if {
	some l in input.lints
	l.kind == "host-service"
	msg := sprintf("%s module source reaches host network ports (Host().Service(%s))", [l.origin, l.expr])
}
