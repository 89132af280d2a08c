package pinline.user.evalerr

deny contains msg if {
	n := to_number("not a number")
	msg := sprintf("%v", [n])
}
