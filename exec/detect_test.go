package exec

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestDetect(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, kind, code string
		want             []string
	}{
		{"python stdlib only", "python", "import os, sys\nfrom collections import defaultdict\nimport json as j\n", nil},
		{"python third party", "python", "import requests\nimport numpy as np, os\nfrom yaml import safe_load\nfrom PIL.Image import open\n", []string{"PIL", "numpy", "requests", "yaml"}},
		{"python indented and future", "python", "from __future__ import annotations\nif True:\n    import six\n# import notinstalled\nx = 'import fake'\n", []string{"six"}},
		{"python relative", "python", "from . import sibling\nfrom .pkg import x\n", nil},
		{"ruby", "ruby", "require 'json'\nrequire \"nokogiri\"\nrequire_relative 'x'\ngem 'rack', '>= 2'\nrequire 'net/http'\nrequire 'active_support/core_ext'\n", []string{"active_support", "nokogiri", "rack"}},
		{"node", "node", "import fs from 'fs';\nimport { x } from \"lodash/fp\";\nimport * as z from '@scope/pkg/sub';\nconst l = require('left-pad');\nconst p = require('node:path');\nimport './local.js';\nimport('chalk');\nconst u = require('util')\n", []string{"@scope/pkg", "chalk", "left-pad", "lodash"}},
		{"typescript types", "node", "import type { A } from 'some-types';\nimport {\n  a,\n  b,\n} from 'multi-line';\n", []string{"multi-line", "some-types"}},
		{"go", "go", "package main\n\nimport (\n\t\"fmt\"\n\t\"net/http\"\n\tuuid \"github.com/google/uuid\"\n\t_ \"golang.org/x/text/language\"\n)\n", []string{"github.com/google/uuid", "golang.org/x/text/language"}},
		{"go does not parse", "go", "package main\nimport (\"fmt\"", nil},
		{"perl", "perl", "use strict;\nuse warnings;\nuse List::Util qw(sum);\nuse JSON::XS;\nrequire Data::Dumper;\nuse Moose;\n", []string{"JSON::XS", "Moose"}},
		{"no detector", "", "import requests", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if d := cmp.Diff(tc.want, Detect(tc.kind, tc.code)); d != "" {
				t.Errorf("Detect (-want +got):\n%s", d)
			}
		})
	}
}

func TestResolve(t *testing.T) {
	t.Parallel()
	in, err := Resolve("python", []string{"PIL", "requests"})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string]string{"PIL": "python3-pil", "requests": "python3-requests"}, in.Packages); d != "" {
		t.Errorf("packages (-want +got):\n%s", d)
	}
	want := [][]string{{"apt-get", "install", "-y", "-q", "--no-install-recommends", "--", "python3-pil", "python3-requests"}}
	if d := cmp.Diff(want, in.Setup); d != "" {
		t.Errorf("setup (-want +got):\n%s", d)
	}
	if in, err := Resolve("perl", []string{"JSON::XS"}); err != nil || in.Packages["JSON::XS"] != "libjson-xs-perl" {
		t.Errorf("perl: %v %v", in, err)
	}
	for _, bad := range []struct{ kind, imp string }{
		{"go", "github.com/../etc"}, {"go", "-flag.example/x"}, {"node", "Bad Name"}, {"python", "x y"}, {"php", "x"},
	} {
		if _, err := Resolve(bad.kind, []string{bad.imp}); err == nil || !strings.Contains(err.Error(), "x") {
			t.Errorf("Resolve(%s, %q): want an error naming it, got %v", bad.kind, bad.imp, err)
		}
	}
}

// FuzzDetect: detectors read untrusted snippets; they never panic, return
// sorted unique names, never a standard-library module, and never a name
// an installer could take for an option.
func FuzzDetect(f *testing.F) {
	for _, s := range []string{"import os\nimport requests", "from a.b import c", "require 'x/y'", "import x from '@a/b/c'",
		"package main\nimport \"github.com/a/b\"", "use Foo::Bar;", "import -x", "require('-rf')", "from .. import x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, code string) {
		for kind := range detectors {
			got := Detect(kind, code)
			for i, name := range got {
				if i > 0 && got[i-1] >= name {
					t.Fatalf("%s: not sorted and unique: %q", kind, got)
				}
				_, rerr := Resolve(kind, []string{name})
				bad := name == "" || strings.HasPrefix(name, "-") || !utf8.ValidString(name) || strings.ContainsAny(name, " \t\n'\"")
				if bad && rerr == nil {
					t.Fatalf("%s: bad name %q resolves", kind, name)
				}
				if kind == "python" && pythonStdlib[name] || kind == "node" && nodeBuiltin[name] || kind == "perl" && perlCore[name] {
					t.Fatalf("%s: standard library %q detected", kind, name)
				}
				if rerr != nil && kind != "go" && kind != "node" {
					t.Fatalf("%s: detected %q does not resolve: %v", kind, name, rerr)
				}
			}
		}
	})
}
