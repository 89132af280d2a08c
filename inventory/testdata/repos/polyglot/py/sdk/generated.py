# Generated SDK code is never scanned.
dag.container().from_("generated:1")
