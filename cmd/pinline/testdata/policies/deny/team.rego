# A user policy: no modules from a banned source prefix.
package pinline.user.sources

deny contains {"id": "TEAM001", "msg": msg, "pos": dep.pos, "help": "vendor the module under modules/"} if {
	some mod in input.modules
	some dep in mod.dependencies
	startswith(dep.source, data.team.banned)
	msg := sprintf("module %q: dependency %q comes from a banned source", [mod.name, dep.source])
}
