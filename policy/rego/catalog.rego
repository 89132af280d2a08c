# Catalog of the default rules: stable id, severity, title and help text.
# pinline renders the help in text, JSON, SARIF and JUnit output and links
# each rule to docs/policies.md#<id>.
package pinline.gate

catalog := {
	"PL030": {
		"severity": "deny",
		"title": "module call reaches a path outside the repository",
		"help": "Pass paths inside the repository: the function reads what the argument names from the host. Export a spec call's result with call.output, not -o or export. Not waivable.",
		"nonWaivable": true,
	},
	"PL031": {
		"severity": "deny",
		"title": "module call argument reaches the host",
		"help": "Bind a service inside the pipeline instead of a host socket or port; pass secrets with env: on the pinline call command line. Not waivable.",
		"nonWaivable": true,
	},
	"PL035": {
		"severity": "deny",
		"title": "host directory read from a non-literal path",
		"help": "Take the directory as a function argument (*dagger.Directory, --src .) so the caller chooses it and the gate checks it, instead of Host().Directory(variable).",
	},
	"PL036": {
		"severity": "deny",
		"title": "host file read from a non-literal path",
		"help": "Take the file as a function argument (*dagger.File) instead of Host().File(variable).",
	},
	"PL037": {
		"severity": "deny",
		"title": "secret-looking variable set from the host environment in plain text",
		"help": "Take a *dagger.Secret argument (--token env:NAME) and use WithSecretVariable; never WithEnvVariable(NAME, os.Getenv(NAME)).",
	},
	"PL038": {
		"severity": "deny",
		"title": "host socket in module source",
		"help": "Run the service inside the pipeline and bind it with WithServiceBinding instead of mounting a host socket (Host().UnixSocket).",
	},
	"PL039": {
		"severity": "warn",
		"title": "host network ports in module source",
		"help": "Run the service inside the pipeline (AsService + WithServiceBinding) instead of reaching host ports with Host().Service.",
	},
	"PL001": {
		"severity": "deny",
		"title": "remote module dependency without a commit pin",
		"help": "Pin the dependency to a commit: run `dagger install <source>@<commit>` or `pinline pin`, so dagger.json carries a `pin` (40 hex) or the source ends in @<40-hex>.",
	},
	"PL002": {
		"severity": "warn",
		"title": "pinned dependency tracks a branch",
		"help": "The pin is a commit but the source names a branch, so the next update moves it. Reference a tag or the commit itself.",
	},
	"PL003": {
		"severity": "deny",
		"title": "module source not on the allowlist",
		"help": "Use a module from an allowed source or add its prefix to moduleAllowlist in .pinline/policy.yaml after review.",
	},
	"PL004": {
		"severity": "deny",
		"title": "remote SDK source without a commit pin",
		"help": "Pin the SDK module to a commit (`pin` field or @<40-hex> in sdk.source).",
	},
	"PL005": {
		"severity": "warn",
		"title": "engineVersion missing or latest",
		"help": "Set engineVersion in dagger.json to the exact engine release the module is tested with (for example v0.19.10).",
	},
	"PL006": {
		"severity": "deny",
		"title": "image without a sha256 digest",
		"help": "Reference the image by digest (name:tag@sha256:<64 hex>); `pinline pin` resolves tags to digests.",
	},
	"PL007": {
		"severity": "deny",
		"title": "image registry not on the allowlist",
		"help": "Pull from an allowed registry or add the registry (or registry/repository prefix) to registryAllowlist in .pinline/policy.yaml.",
	},
	"PL008": {
		"severity": "warn",
		"title": "image tag is latest or missing",
		"help": "Name a versioned tag next to the digest so that humans and update tools know what the digest is.",
	},
	"PL009": {
		"severity": "deny",
		"title": "dagger.lock entry floats",
		"help": "Run `dagger update` (or `pinline pin`) so that every lock entry records a commit or digest; a version 1 entry with policy \"float\" is resolved again at every run.",
	},
	"PL010": {
		"severity": "deny",
		"title": "literal secret value in pinline.yaml",
		"help": "Remove the value from the spec and rotate it; read secrets at run time with `from: {env: ...}`, `from: {file: ...}` or `from: {command: [...]}`.",
		"nonWaivable": true,
	},
	"PL011": {
		"severity": "deny",
		"title": "host mount escapes the repository root",
		"help": "Mount only directories inside the repository; copy what the task needs into the repository or fetch it in the task.",
	},
	"PL012": {
		"severity": "warn",
		"title": "image reference in module source cannot be resolved statically",
		"help": "Use a string literal or a same-file constant with a digest so the gate can check the image.",
	},
	"PL013": {
		"severity": "deny",
		"title": "host backend outside tier local",
		"help": "The host backend runs tasks without container isolation; use it only with --tier local.",
		"nonWaivable": true,
	},
	"PL014": {
		"severity": "deny",
		"title": "waiver expired",
		"help": "Fix the finding the waiver covered, or renew the waiver with a new reason and expiry date in the policy data.",
		"nonWaivable": true,
	},
	"PL021": {
		"severity": "deny",
		"title": "pinline.yaml image not pinned by digest",
		"help": "The executor runs only images pinned by digest: write name:tag@sha256:<64 hex> (`pinline pin` resolves tags to digests).",
		"nonWaivable": true,
	},
	"PL022": {
		"severity": "deny",
		"title": "env variable named like a secret has a literal value",
		"help": "Move the value to secrets (read at run time from the operator's secret sources), or waive the finding if the name is not a secret.",
	},
	"PL023": {
		"severity": "deny",
		"title": "image output outside the publish allowlist",
		"help": "Outside tier local a repository cannot choose where the operator's registry credentials push: the operator lists the allowed registry/repository prefixes in publishAllowlist of --policy-data (docs/images.md).",
		"nonWaivable": true,
	},
	"PL020": {
		"severity": "warn",
		"title": "repository policy data ignored outside tier local",
		"help": "Outside tier local the repository is data: its .pinline/policy.yaml is never applied. The operator passes waivers and allowlists with --policy-data FILE outside the repository.",
		"nonWaivable": true,
	},
	"PL025": {
		"severity": "deny",
		"title": "user-level Dagger config overrides workspace modules",
		"help": "~/.config/dagger/config.toml (or $DAGGER_CONFIG) [workspaces.*] entries replace module sources, pins or settings outside the repository. Remove them on CI machines; in tier local this is a warning.",
	},
	"PL026": {
		"severity": "deny",
		"title": "run added dagger.lock entries",
		"help": "Dagger 1.0 resolves lookups missing from dagger.lock and writes them. Commit the new entries after review (or run `dagger update` / `pinline pin` beforehand); with --frozen a run that adds entries is denied.",
	},
	"PL027": {
		"severity": "deny",
		"title": "duplicate key in dagger.json",
		"help": "Tools disagree on which of two equal keys wins (Dagger and pinline take the last); remove the duplicate so that every reader sees the same module.",
	},
	"PL028": {
		"severity": "deny",
		"title": "with --frozen, a lookup dagger.lock does not hold",
		"help": "Dagger 1.0 resolves every lookup missing from dagger.lock and writes it, so the run would change the lock. Pin the image by digest or the module to a commit (`pinline pin`), or record the entry in dagger.lock before the run; without --frozen the entries a run adds are reported (PL026).",
	},
	"PL029": {
		"severity": "warn",
		"title": "engineVersion older than v1.0.0-beta.10 ignores dagger.lock",
		"help": "Clients older than API view v1.0.0-beta.10 do not read dagger.lock: its entries pin nothing for this module. Raise engineVersion to a Dagger 1.0 release, or pin in dagger.json (pin fields, @<commit>, images by digest).",
	},
	"PL016": {
		"severity": "deny",
		"title": "git push to a remote the operator does not allow for the tier",
		"help": "Pushes go only to remotes listed for the run's tier under remotes: in the operator's secrets file (docs/secrets.md), which also gives the credential. Ask the operator to add the remote; the repository cannot. Not waivable.",
		"nonWaivable": true,
	},
	"PL015": {
		"severity": "deny",
		"title": "secret source chosen by the repository outside tier local",
		"help": "Remove `from:` from the secret in pinline.yaml and give the logical name a source for this tier in the operator's secrets file (`pinline run --secrets FILE` or $PINLINE_SECRETS; docs/secrets.md). Not waivable.",
		"nonWaivable": true,
	},
}

# finding builds one result object. Every rule returns these.
finding(id, msg, pos) := {"id": id, "msg": msg, "pos": pos}

# decision is what pinline queries: the two sets of findings.
decision := {"deny": deny, "warn": warn}
