package pinline.user.team

deny contains {"id": "TEAM001", "msg": msg, "pos": img.pos} if {
	some img in input.images
	img.registry == data.team.banned
	msg := sprintf("image %q comes from a banned registry", [img.ref])
}

warn contains "every spec should have a name" if {
	some sp in input.specs
	sp.name == ""
}
