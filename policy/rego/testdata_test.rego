# Shared fixtures for the default rule tests: a clean input and helpers.
package pinline.gate_test

commit := "0123456789abcdef0123456789abcdef01234567"

digest := "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

p(file, line) := {"file": file, "line": line, "column": 3}

dep := {
	"pos": p("dagger.json", 6), "kind": "dependency", "name": "lint",
	"source": "github.com/acme/lint@v1.0.0", "pin": commit, "legacy": false, "local": false,
	"remote": {"module": "github.com/acme/lint", "host": "github.com", "repo": "acme/lint", "subpath": "", "ref": "v1.0.0", "refKind": "tag"},
}

module := {
	"pos": p("dagger.json", 1), "format": "dagger.json", "name": "app",
	"engineVersion": "v1.0.0", "engineVersionPos": p("dagger.json", 3),
	"sdk": {"pos": p("dagger.json", 4), "source": "go", "pin": "", "builtin": true},
	"dependencies": [dep],
}

image := {
	"pos": p("pinline.yaml", 4), "origin": "spec", "via": "image", "name": "go",
	"ref": concat("@", ["docker.io/library/golang:1.26", digest]),
	"registry": "docker.io", "repository": "library/golang", "tag": "1.26", "digest": digest,
}

task := {
	"name": "test", "pos": p("pinline.yaml", 6), "image": "go", "from": "",
	"mounts": [{"pos": p("pinline.yaml", 8), "source": ".", "target": "/src", "resolved": ".", "readOnly": true}],
	"secrets": [{"pos": p("pinline.yaml", 9), "name": "tok", "literal": false, "fromEnv": "", "fromFile": "", "fromCommand": false}],
	"env": [{"name": "GOFLAGS", "literal": true}],
}

clean := {
	"inputVersion": 1, "tier": "local",
	"config": {"moduleAllowlist": [], "registryAllowlist": []},
	"files": ["dagger.json", "pinline.yaml"],
	"modules": [module], "locks": [], "images": [image],
	"specs": [{"path": "pinline.yaml", "name": "app", "pos": p("pinline.yaml", 1), "tasks": [task]}],
	"unresolved": [],
}

# ids returns the rule ids of a finding set.
ids(findings) := {f.id | some f in findings}

test_clean_input_has_no_findings if {
	count(data.pinline.gate.deny) == 0 with input as clean
	count(data.pinline.gate.warn) == 0 with input as clean
}

test_decision_has_both_sets if {
	d := data.pinline.gate.decision with input as clean
	d == {"deny": set(), "warn": set()}
}
