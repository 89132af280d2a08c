package record

// GitName is the name a pushed commit has as a provenance subject and SBOM
// component: git+<remote>@<ref>.
func GitName(o Output) string { return "git+" + o.Remote + "@" + o.Ref }
