package pinline.user.broken

deny contains msg if {
	msg := undefined_function(input.x)
}
