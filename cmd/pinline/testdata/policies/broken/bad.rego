package pinline.user.broken

deny contains msg if {
	some img in input.images
	msg := no_such_function(img.ref)
}
