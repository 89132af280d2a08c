package exec

import "maps"

// BaseDebian is the Debian package set of the shared base layer (on top of
// mmdebstrap's apt variant: Essential packages and apt).
var BaseDebian = []string{"ca-certificates"}

// builtin are the presets pinline ships, without their images: the images
// are built from the Debian packages named here (hack/presets) and pinned by
// digest in the presets lock file.
var builtin = map[string]Preset{
	"bash": {File: "main.sh", Run: []string{"bash", "main.sh"}},
	"python": {
		File: "main.py", Run: []string{"python3", "main.py"}, Packages: "python",
		Env:    map[string]string{"PYTHONDONTWRITEBYTECODE": "1", "PYTHONUNBUFFERED": "1"},
		Debian: []string{"python3"},
	},
	"ruby": {File: "main.rb", Run: []string{"ruby", "main.rb"}, Packages: "ruby", Debian: []string{"ruby"}},
	"perl": {File: "main.pl", Run: []string{"perl", "main.pl"}, Packages: "perl", Debian: []string{"perl"}},
	"php":  {File: "main.php", Run: []string{"php", "main.php"}, Debian: []string{"php-cli"}},
	"javascript": {
		File: "main.js", Run: []string{"node", "main.js"}, Packages: "node",
		Caches: map[string]string{"npm": "/home/runner/.npm"},
		Debian: []string{"nodejs", "npm"},
	},
	"typescript": {
		File:    "main.ts",
		Compile: []string{"tsc", "--outDir", "/tmp/build", "--noEmitOnError", "--target", "es2020", "--module", "commonjs", "--skipLibCheck", "/tmp/pinline/node.d.ts", "main.ts"},
		Run:     []string{"node", "/tmp/build/main.js"},
		Caches:  map[string]string{"npm": "/home/runner/.npm"},
		Env:     map[string]string{"NODE_PATH": "/work/node_modules"},
		Files:   map[string]string{"/tmp/pinline/node.d.ts": nodeGlobals},
		Debian:  []string{"node-typescript"}, Parent: "javascript", Packages: "node",
	},
	"go": {
		File:    "main.go",
		Files:   map[string]string{Workdir + "/go.mod": "module snippet\n\ngo 1.19\n"},
		Compile: []string{"go", "build", "-o", "/tmp/snippet", "."},
		Run:     []string{"/tmp/snippet"},
		Caches:  map[string]string{"gomod": "/home/runner/go/pkg/mod", "gobuild": "/home/runner/.cache/go-build"},
		Env:     map[string]string{"GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local", "CGO_ENABLED": "0"},
		Debian:  []string{"golang-go"}, Packages: "go",
	},
	"rust": {
		File:    "main.rs",
		Compile: []string{"rustc", "--edition", "2021", "-o", "/tmp/snippet", "main.rs"},
		Run:     []string{"/tmp/snippet"},
		Debian:  []string{"rustc"},
	},
	"java": {
		File:    "Main.java",
		Compile: []string{"javac", "-d", "/tmp/classes", "Main.java"},
		Run:     []string{"java", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-cp", "/tmp/classes", "Main"},
		Debian:  []string{"openjdk-17-jdk-headless"},
	},
}

// Builtin returns the shipped preset definitions (without images), keyed
// by name.
func Builtin() map[string]Preset {
	out := make(map[string]Preset, len(builtin))
	for name, p := range builtin {
		p.Name = name
		p.Env = maps.Clone(p.Env)
		p.Caches = maps.Clone(p.Caches)
		out[name] = p
	}
	return out
}

// nodeGlobals declares the Node.js globals for tsc (Debian ships no
// @types/node): enough to type-check snippets that use require and process.
const nodeGlobals = `declare var require: any;
declare var module: any;
declare var exports: any;
declare var process: any;
declare var Buffer: any;
declare var __dirname: string;
declare var __filename: string;
declare function setTimeout(cb: (...args: any[]) => void, ms?: number, ...args: any[]): any;
declare function setInterval(cb: (...args: any[]) => void, ms?: number, ...args: any[]): any;
`
