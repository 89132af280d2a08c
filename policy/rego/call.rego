package pinline.gate

# The call rules: what a module call (pinline call, a pinline.yaml call
# task) reaches on the host. The executor resolves every path against the
# repository (symlinks followed) and classifies every argument before
# policy; the rules read those facts from input.run.calls. Both are not
# waivable: a call that reads the host beyond the repository is refused
# whatever the policy data says.

# PL030: the module directory resolves outside the repository.
deny contains finding("PL030", msg, call.pos) if {
	some call in input.run.calls
	call.moduleOutside != ""
	msg := sprintf("task %q: module %q: %s", [call.task, call.module, call.moduleOutside])
}

# PL030: a path argument (a directory, a file, a file: secret) resolves
# outside the repository. A secret the repository chose outside tier local
# is PL031's alone (one problem, one finding).
deny contains finding("PL030", msg, call.pos) if {
	some call in input.run.calls
	some arg in call.args
	arg.reaches == "path"
	arg.outside != ""
	not repository_secret(call, arg)
	msg := sprintf("task %q: %s: %s", [call.task, call_arg(arg), arg.outside])
}

# PL030: -o, --output or export among a spec's call arguments would write
# to the host (pinline call takes them out of the command line itself).
deny contains finding("PL030", msg, call.pos) if {
	some call in input.run.calls
	some arg in call.args
	arg.reaches == "write"
	msg := sprintf("task %q: %s would write to the host; export the result with call.output", [call.task, call_arg(arg)])
}

# PL031: outside tier local a repository's call task never chooses a host
# secret (any secret provider).
deny contains finding("PL031", msg, call.pos) if {
	some call in input.run.calls
	some arg in call.args
	repository_secret(call, arg)
	msg := sprintf("task %q: %s reads a host secret; outside tier local a repository's call task cannot choose host secrets", [call.task, call_arg(arg)])
}

# PL031: an argument hands the function a host socket, a host network
# service, a host command or a host secret store.
deny contains finding("PL031", msg, call.pos) if {
	some call in input.run.calls
	some arg in call.args
	what := host_reach[arg.reaches]
	not repository_secret(call, arg)
	msg := sprintf("task %q: %s %s", [call.task, call_arg(arg), what])
}

host_reach := {
	"socket": "hands the function a host socket",
	"service": "hands the function a host network service",
	"command": "runs a host command",
	"store": "reads a host secret store",
}

repository_secret(call, arg) if {
	arg.secret
	arg.reaches != "write"
	call.fromSpec
	input.tier != "local"
}

call_arg(arg) := sprintf("argument %s", [arg.arg]) if arg.name != ""

call_arg(arg) := sprintf("argument %q", [arg.arg]) if arg.name == ""
