package policy

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pinline/pinline/inventory"
	"github.com/pinline/pinline/spec"
)

type got struct {
	ID, Sev string
	Pos     Pos
}

func TestDefaultRules(t *testing.T) {
	t.Parallel()
	e := loadDefault(t)
	remote := func(ref, kind string) *inventory.RemoteRef {
		return &inventory.RemoteRef{Host: "github.com", Repo: "acme/lint", Ref: ref, RefKind: kind}
	}
	dep := func(inv *inventory.Inventory) *inventory.Dependency { return &inv.Modules[0].Dependencies[0] }
	img := func(inv *inventory.Inventory) *inventory.ImageRef { return &inv.Images[0] }
	task := func(inv *inventory.Inventory) *spec.Task { return &inv.Specs[0].Spec.Tasks[0] }
	tests := []struct {
		name  string
		tier  string
		run   *RunInfo
		cfg   *Config
		tweak func(*inventory.Inventory)
		want  []got
	}{
		{name: "PL001 no pin, tag ref", tweak: func(i *inventory.Inventory) { dep(i).Pin = "" },
			want: []got{{"PL001", "deny", pos("dagger.json", 6)}}},
		{name: "PL001 legacy string with branch", tweak: func(i *inventory.Inventory) {
			d := dep(i)
			d.Pin, d.Legacy, d.Source, d.Remote = "", true, "github.com/acme/lint@main", remote("main", "branch")
		}, want: []got{{"PL001", "deny", pos("dagger.json", 6)}}},
		{name: "PL001 pin that is not a commit", tweak: func(i *inventory.Inventory) { dep(i).Pin = "v1.0.0" },
			want: []got{{"PL001", "deny", pos("dagger.json", 6)}}},
		{name: "PL001 commit in source ref is a pin", tweak: func(i *inventory.Inventory) {
			d := dep(i)
			d.Pin, d.Remote = "", remote(commit, "commit")
		}},
		{name: "PL001 toolchain counts too", tweak: func(i *inventory.Inventory) { dep(i).Pin, dep(i).Kind = "", "toolchain" },
			want: []got{{"PL001", "deny", pos("dagger.json", 6)}}},
		{name: "PL001 local dependency needs no pin", tweak: func(i *inventory.Inventory) {
			i.Modules[0].Dependencies = i.Modules[0].Dependencies[1:]
		}},
		{name: "PL002 pinned branch", tweak: func(i *inventory.Inventory) { dep(i).Remote = remote("main", "branch") },
			want: []got{{"PL002", "warn", pos("dagger.json", 6)}}},
		{name: "PL003 not on allowlist", cfg: &Config{ModuleAllowlist: []string{"github.com/other/"}},
			want: []got{{"PL003", "deny", pos("dagger.json", 6)}}},
		{name: "PL003 prefix is a path boundary", cfg: &Config{ModuleAllowlist: []string{"github.com/acme/li"}},
			want: []got{{"PL003", "deny", pos("dagger.json", 6)}}},
		{name: "PL003 on allowlist", cfg: &Config{ModuleAllowlist: []string{"github.com/acme"}}},
		{name: "PL003 exact module allowed", cfg: &Config{ModuleAllowlist: []string{"github.com/acme/lint"}}},
		{name: "PL003 remote SDK checked too", cfg: &Config{ModuleAllowlist: []string{"github.com/acme/"}}, tweak: func(i *inventory.Inventory) {
			i.Modules[0].SDK = &inventory.SDK{Pos: pos("dagger.json", 4), Source: "github.com/evil/sdk", Pin: commit,
				Remote: &inventory.RemoteRef{Host: "github.com", Repo: "evil/sdk", RefKind: "none"}}
		}, want: []got{{"PL003", "deny", pos("dagger.json", 4)}}},
		{name: "PL004 remote SDK unpinned", tweak: func(i *inventory.Inventory) {
			i.Modules[0].SDK = &inventory.SDK{Pos: pos("dagger.json", 4), Source: "github.com/acme/sdk@v1",
				Remote: &inventory.RemoteRef{Host: "github.com", Repo: "acme/sdk", Ref: "v1", RefKind: "tag"}}
		}, want: []got{{"PL004", "deny", pos("dagger.json", 4)}}},
		{name: "PL004 remote SDK pinned", tweak: func(i *inventory.Inventory) {
			i.Modules[0].SDK = &inventory.SDK{Pos: pos("dagger.json", 4), Source: "github.com/acme/sdk@v1", Pin: commit,
				Remote: &inventory.RemoteRef{Host: "github.com", Repo: "acme/sdk", Ref: "v1", RefKind: "tag"}}
		}},
		{name: "PL005 missing engineVersion", tweak: func(i *inventory.Inventory) {
			i.Modules[0].EngineVersion, i.Modules[0].EngineVerPos = "", inventory.Position{}
		}, want: []got{{"PL005", "warn", pos("dagger.json", 1)}}},
		{name: "PL005 latest engineVersion", tweak: func(i *inventory.Inventory) { i.Modules[0].EngineVersion = "latest" },
			want: []got{{"PL005", "warn", pos("dagger.json", 3)}}},
		{name: "PL005 workspace config needs none", tweak: func(i *inventory.Inventory) {
			i.Modules[0].EngineVersion, i.Modules[0].Format = "", "config.toml"
		}},
		{name: "PL021 spec image tag only", tweak: func(i *inventory.Inventory) { img(i).Digest, img(i).Ref = "", "golang:1.26" },
			want: []got{{"PL021", "deny", pos("pinline.yaml", 4)}}},
		{name: "PL021 spec image malformed digest", tweak: func(i *inventory.Inventory) { img(i).Digest = "sha256:abc" },
			want: []got{{"PL021", "deny", pos("pinline.yaml", 4)}}},
		{name: "PL006 module source tag only", tweak: func(i *inventory.Inventory) {
			img(i).Origin, img(i).Pos, img(i).Digest, img(i).Ref = "go", pos("main.go", 9), "", "golang:1.26"
		}, want: []got{{"PL006", "deny", pos("main.go", 9)}}},
		{name: "PL007 registry not allowed", cfg: &Config{RegistryAllowlist: []string{"ghcr.io"}},
			want: []got{{"PL007", "deny", pos("pinline.yaml", 4)}}},
		{name: "PL007 registry/repository prefix allowed", cfg: &Config{RegistryAllowlist: []string{"docker.io/library"}}},
		{name: "PL007 registry host is not a string prefix", cfg: &Config{RegistryAllowlist: []string{"docker.i"}},
			want: []got{{"PL007", "deny", pos("pinline.yaml", 4)}}},
		{name: "PL008 latest with digest", tweak: func(i *inventory.Inventory) { img(i).Tag = "latest" },
			want: []got{{"PL008", "warn", pos("pinline.yaml", 4)}}},
		{name: "PL008 untagged with digest", tweak: func(i *inventory.Inventory) { img(i).Tag = "" },
			want: []got{{"PL008", "warn", pos("pinline.yaml", 4)}}},
		{name: "PL021 and PL008 untagged without digest", tweak: func(i *inventory.Inventory) { img(i).Tag, img(i).Digest = "", "" },
			want: []got{{"PL021", "deny", pos("pinline.yaml", 4)}, {"PL008", "warn", pos("pinline.yaml", 4)}}},
		{name: "PL009 floating entry", tweak: func(i *inventory.Inventory) {
			i.Locks = append(i.Locks, inventory.LockEntry{Pos: pos("dagger.lock", 7), Kind: "git.ref",
				Key: []string{"https://github.com/a/b", "refs/tags/v1"}, Floating: true})
		}, want: []got{{"PL009", "deny", pos("dagger.lock", 7)}}},
		{name: "PL009 version 1 float policy", tweak: func(i *inventory.Inventory) {
			i.Locks = append(i.Locks, inventory.LockEntry{Pos: pos("dagger.lock", 7), Version: "1", Kind: "container.from",
				Key: []string{"nginx:1", "linux/amd64"}, Value: "sha256:" + strings.Repeat("a", 64), Policy: "float", Floating: true})
		}, want: []got{{"PL009", "deny", pos("dagger.lock", 7)}}},
		{name: "PL009 pinned entry is fine", tweak: func(i *inventory.Inventory) {
			i.Locks = append(i.Locks, inventory.LockEntry{Pos: pos("dagger.lock", 7), Kind: "git.ref",
				Key: []string{"https://github.com/a/b", "HEAD"}, Value: strings.Repeat("a", 40), Ref: "refs/heads/main"})
		}},
		{name: "PL010 literal secret", tweak: func(i *inventory.Inventory) { task(i).Secrets[0].Value = "hunter2" },
			want: []got{{"PL010", "deny", Pos{File: "pinline.yaml", Line: 9, Column: 7}}}},
		{name: "PL022 secret-looking env literal", tweak: func(i *inventory.Inventory) { task(i).Env["NPM_TOKEN"] = "abc" },
			want: []got{{"PL022", "deny", Pos{File: "pinline.yaml", Line: 6, Column: 3}}}},
		{name: "PL011 parent mount", tweak: func(i *inventory.Inventory) { task(i).Mounts[0].Source = "sub/../../etc" },
			want: []got{{"PL011", "deny", Pos{File: "pinline.yaml", Line: 8, Column: 7}}}},
		{name: "PL011 absolute mount", tweak: func(i *inventory.Inventory) { task(i).Mounts[0].Source = "/var/run" },
			want: []got{{"PL011", "deny", Pos{File: "pinline.yaml", Line: 8, Column: 7}}}},
		{name: "PL011 nested spec may mount its parent inside the repo", tweak: func(i *inventory.Inventory) {
			i.Specs[0].Path = "ci/pinline.yaml"
			task(i).Mounts[0].Source = ".."
		}},
		{name: "PL011 nested spec escaping", tweak: func(i *inventory.Inventory) {
			i.Specs[0].Path = "ci/pinline.yaml"
			task(i).Mounts[0].Source = "../.."
		}, want: []got{{"PL011", "deny", Pos{File: "ci/pinline.yaml", Line: 8, Column: 7}}}},
		{name: "PL012 unresolved", tweak: func(i *inventory.Inventory) {
			i.Unresolved = []inventory.Unresolved{{Pos: pos("main.go", 12), Origin: "go", Expr: "img", Reason: "variable"}}
		}, want: []got{{"PL012", "warn", pos("main.go", 12)}}},
		{name: "PL035-PL039 module-source lints", tweak: func(i *inventory.Inventory) {
			for n, k := range []string{inventory.LintHostDirectory, inventory.LintHostFile, inventory.LintSecretEnv, inventory.LintHostSocket, inventory.LintHostService} {
				i.Lints = append(i.Lints, inventory.SourceLint{Pos: pos("main.go", 20+n), Origin: "go", Kind: k, Expr: "p", Name: "GH_TOKEN"})
			}
		}, want: []got{{"PL035", "deny", pos("main.go", 20)}, {"PL036", "deny", pos("main.go", 21)}, {"PL037", "deny", pos("main.go", 22)},
			{"PL038", "deny", pos("main.go", 23)}, {"PL039", "warn", pos("main.go", 24)}}},
		{name: "PL013 host backend in trusted", tier: "trusted", run: &RunInfo{Backend: "host"},
			want: []got{{"PL013", "deny", Pos{}}}},
		{name: "PL013 host backend in local", tier: "local", run: &RunInfo{Backend: "host"}},
		{name: "PL023 image output without publish allowlist", tier: "trusted", tweak: func(i *inventory.Inventory) {
			task(i).Outputs = []spec.Output{{Type: spec.OutputImage, Ref: "registry.example/team/app:v1", Pos: spec.Pos{Line: 12, Column: 9}}}
		}, want: []got{{"PL023", "deny", Pos{File: "pinline.yaml", Line: 12, Column: 9}}}},
		{name: "PL023 image output on the publish allowlist", tier: "trusted", cfg: &Config{PublishAllowlist: []string{"registry.example/team"}},
			tweak: func(i *inventory.Inventory) {
				task(i).Outputs = []spec.Output{{Type: spec.OutputImage, Ref: "registry.example/team/app:v1", Pos: spec.Pos{Line: 12, Column: 9}}}
			}},
		{name: "PL023 image output in tier local", tier: "local", tweak: func(i *inventory.Inventory) {
			task(i).Outputs = []spec.Output{{Type: spec.OutputImage, Ref: "registry.example/team/app:v1", Pos: spec.Pos{Line: 12, Column: 9}}}
		}},
		{name: "PL013 dagger backend in trusted", tier: "trusted", run: &RunInfo{Backend: "dagger"}},
		{name: "PL030 call path outside the repository", tier: "local", run: &RunInfo{Backend: "dagger", Calls: []InCall{{Pos: pos("pinline.yaml", 12), Task: "c", Module: "ci",
			Args: []InCallArg{{Name: "src", Arg: "--src=../..", Reaches: "path", Outside: "path escapes the repository"}}}}},
			want: []got{{"PL030", "deny", pos("pinline.yaml", 12)}}},
		{name: "PL030 call module outside the repository", tier: "local", run: &RunInfo{Backend: "dagger", Calls: []InCall{{Pos: pos("pinline.yaml", 12), Task: "c", Module: "out",
			ModuleOutside: "path escapes the repository"}}},
			want: []got{{"PL030", "deny", pos("pinline.yaml", 12)}}},
		{name: "PL030 PL031 call inside the repository", tier: "trusted", run: &RunInfo{Backend: "dagger", Calls: []InCall{{Pos: pos("pinline.yaml", 12), Task: "c", Module: "ci",
			Args: []InCallArg{{Name: "src", Arg: "--src=.", Reaches: "path"}, {Name: "token", Arg: "--token=***", Secret: true}}}}}},
		{name: "PL031 call host service", tier: "local", run: &RunInfo{Backend: "dagger", Calls: []InCall{{Task: "call", Module: ".",
			Args: []InCallArg{{Name: "db", Arg: "--db=tcp://localhost:5432", Reaches: "service"}}}}},
			want: []got{{"PL031", "deny", Pos{}}}},
		{name: "PL031 repository's call secret outside local", tier: "trusted", run: &RunInfo{Backend: "dagger", Calls: []InCall{{Pos: pos("pinline.yaml", 12), Task: "c", FromSpec: true, Module: "ci",
			Args: []InCallArg{{Name: "token", Arg: "--token=***", Secret: true}}}}},
			want: []got{{"PL031", "deny", pos("pinline.yaml", 12)}}},
		{name: "PL015 spec secret source in untrusted", tier: "untrusted",
			tweak: func(i *inventory.Inventory) { task(i).Secrets[0].From = spec.SecretSource{Command: []string{"id"}} },
			want:  []got{{"PL015", "deny", Pos{File: "pinline.yaml", Line: 9, Column: 7}}}},
		{name: "PL015 spec secret source in local", tier: "local",
			tweak: func(i *inventory.Inventory) { task(i).Secrets[0].From = spec.SecretSource{File: "k"} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			inv := cleanInventory()
			if tc.tweak != nil {
				tc.tweak(inv)
			}
			tier := tc.tier
			if tier == "" {
				tier = "local"
			}
			d, err := e.Evaluate(context.Background(), BuildInput(inv, InputOptions{Tier: tier, Run: tc.run, Config: tc.cfg}), EvalOptions{Now: now(t)})
			if err != nil {
				t.Fatal(err)
			}
			var g []got
			for _, f := range append(d.Violations, d.Warnings...) {
				g = append(g, got{f.RuleID, f.Severity, f.Pos})
				if f.Message == "" || f.Help == "" || f.HelpURI != HelpURIBase+f.RuleID {
					t.Errorf("finding %s lacks message/help: %+v", f.RuleID, f)
				}
			}
			if diff := cmp.Diff(tc.want, g); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			if wantAllow := !hasDeny(tc.want); d.Allow != wantAllow {
				t.Errorf("allow = %v, want %v", d.Allow, wantAllow)
			}
		})
	}
}

func hasDeny(gs []got) bool {
	for _, g := range gs {
		if g.Sev == "deny" {
			return true
		}
	}
	return false
}

func TestCatalogCoversEveryRule(t *testing.T) {
	t.Parallel()
	rules := loadDefault(t).Rules()
	if len(rules) != 32 {
		t.Fatalf("catalog has %d rules, want 32 (PL001–PL016, PL020–PL023, PL025–PL031, PL035–PL039)", len(rules))
	}
	for _, r := range rules {
		if r.Severity != SeverityDeny && r.Severity != SeverityWarn || r.Title == "" || r.Help == "" {
			t.Errorf("incomplete catalog entry %+v", r)
		}
	}
}
