package pinline.user.evalerr

deny contains msg if {
	some m in input.modules
	n := to_number(m.name)
	msg := sprintf("module number %v", [n])
}
