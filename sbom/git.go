package sbom

import (
	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/pinline/pinline/record"
)

// gitOutput describes a commit a task pushed (record output type "git"):
// the remote as a VCS reference, the commit as the version and its hash
// (a SHA-1 or SHA-256 object id), the ref as a property.
func gitOutput(o record.Output) *cdx.Component {
	alg := cdx.HashAlgoSHA1
	if len(o.Commit) == 64 {
		alg = cdx.HashAlgoSHA256
	}
	c := &cdx.Component{
		BOMRef: "output:" + record.GitName(o), Type: cdx.ComponentTypeData, Name: o.Remote + "@" + o.Ref,
		Version:            o.Commit,
		Hashes:             &[]cdx.Hash{{Algorithm: alg, Value: o.Commit}},
		ExternalReferences: &[]cdx.ExternalReference{{Type: cdx.ERTypeVCS, URL: o.Remote}},
	}
	addProp(c, "output:git-remote", o.Remote)
	addProp(c, "output:git-ref", o.Ref)
	addProp(c, "output:git-commit", o.Commit)
	return c
}
