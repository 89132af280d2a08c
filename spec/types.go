package spec

import "time"

// Pos is a 1-based line and column in the spec file.
type Pos struct {
	Line   int `json:"line"`
	Column int `json:"column"`
}

// Spec is a pinline.yaml pipeline spec.
//
//	version: 1
//	name: hello
//	images:
//	  go: 127.0.0.1:5000/pinline/go@sha256:...
//	defaultImage: go
//	concurrency: 2
//	tasks:
//	  test:
//	    image: go
//	    run: [go, test, ./...]
//	    mounts: [{source: ., target: /src, readOnly: true, exclude: [".git"]}]
//	    workdir: /src
//	  build:
//	    from: test
//	    sh: go build -o /out/hello .
//	    outputs: [{path: /out/hello}]
type Spec struct {
	// Path is the file the spec was read from.
	Path    string `json:"path"`
	Version int    `json:"version"`
	Name    string `json:"name"`
	// Images maps a logical name to an image reference.
	Images       map[string]Image `json:"images"`
	DefaultImage string           `json:"defaultImage,omitempty"`
	Concurrency  int              `json:"concurrency,omitempty"`
	// Env is passed to every container task; a task's own Env wins.
	Env map[string]string `json:"env,omitempty"`
	// Services are the service containers tasks may bind, by name.
	Services map[string]Service `json:"services,omitempty"`
	// Tasks in file order.
	Tasks []Task `json:"tasks"`
	Pos   Pos    `json:"pos"`
}

// Image is a named image reference.
type Image struct {
	Name string `json:"name"`
	Ref  string `json:"ref"`
	Pos  Pos    `json:"pos"`
}

// Task is one step of the pipeline.
type Task struct {
	Name string `json:"name"`
	// Image names an entry of Spec.Images or is a full reference.
	Image string `json:"image,omitempty"`
	// From continues from another task's resulting container.
	From      string            `json:"from,omitempty"`
	Run       []string          `json:"run,omitempty"`
	Sh        string            `json:"sh,omitempty"`
	Workdir   string            `json:"workdir,omitempty"`
	Env       map[string]string `json:"env,omitempty"`
	User      string            `json:"user,omitempty"`
	Mounts    []Mount           `json:"mounts,omitempty"`
	Cache     []Cache           `json:"cache,omitempty"`
	Secrets   []Secret          `json:"secrets,omitempty"`
	Outputs   []Output          `json:"outputs,omitempty"`
	DependsOn []string          `json:"dependsOn,omitempty"`
	Timeout   time.Duration     `json:"timeout,omitempty"`
	// Services are the services the task binds (host name = service name).
	Services []Binding `json:"services,omitempty"`
	// Matrix, when set, runs the task once per combination (see
	// Spec.Instances).
	Matrix *Matrix `json:"matrix,omitempty"`
	// Push publishes a commit of a git repository in the task's container
	// to a remote (see Push).
	Push *Push `json:"push,omitempty"`
	// Call makes this a task that calls a Dagger module function (what
	// `dagger call` does) instead of running a container; such a task has
	// no image, from, run, sh, env, mounts, cache, secrets or outputs.
	Call *Call `json:"call,omitempty"`
	Pos  Pos   `json:"pos"`
}

// Call is a Dagger module function call: `dagger call -m Module Function
// Args...`. Module is a directory of the repository holding dagger.json
// (default "."); Output, when set, exports the function's result (a file,
// a directory or a value) to that path relative to the run directory.
type Call struct {
	Module   string   `json:"module,omitempty"`
	Function string   `json:"function"`
	Args     []string `json:"args,omitempty"`
	Output   string   `json:"output,omitempty"`
	Pos      Pos      `json:"pos"`
}

// Mount is a host directory, relative to the repository root, mounted
// into the task.
type Mount struct {
	Source   string   `json:"source"`
	Target   string   `json:"target"`
	ReadOnly bool     `json:"readOnly,omitempty"`
	Include  []string `json:"include,omitempty"`
	Exclude  []string `json:"exclude,omitempty"`
	Pos      Pos      `json:"pos"`
}

// Cache is a logical cache volume. The name is logical: the engine volume is
// derived from the tier and scope and cannot be named by the spec.
type Cache struct {
	Name string `json:"name"`
	Path string `json:"path"`
	// Sharing is "shared" (default), "private" or "locked".
	Sharing string `json:"sharing,omitempty"`
	Pos     Pos    `json:"pos"`
}

// Secret is handed to the task as an environment variable or a file.
// Exactly one of Env and Path is set, and the value comes From somewhere:
// never a literal in the spec.
type Secret struct {
	Name string       `json:"name"`
	Env  string       `json:"env,omitempty"`
	Path string       `json:"path,omitempty"`
	From SecretSource `json:"from"`
	// Value is set only when the spec (wrongly) contains a literal value;
	// the gate denies it. It is never serialised.
	Value string `json:"-"`
	Pos   Pos    `json:"pos"`
}

// SecretSource names where a secret value is read at run time.
type SecretSource struct {
	Env  string `json:"env,omitempty"`
	File string `json:"file,omitempty"`
	// Command is run on the host; its stdout is the value.
	Command []string `json:"command,omitempty"`
}

// Output is a file or directory exported from the task's container, or an
// image published to a registry.
//
//	outputs:
//	  - {path: /out/hello}                                        # a file
//	  - {type: image, ref: 127.0.0.1:5123/team/hello:v1}          # the task's container
//	  - {type: image, path: /out/rootfs, ref: host/repo:tag,      # a container assembled
//	     platforms: [linux/amd64, linux/arm64]}                   # from a directory
type Output struct {
	// Path is the file or directory in the container. For an image it is
	// optional: "" publishes the task's container itself, a directory is
	// published as the root file system of a new image.
	Path string `json:"path,omitempty"`
	// Dest is a host path relative to the run directory (default: the
	// base name of Path under outputs/). Not for images.
	Dest string `json:"dest,omitempty"`
	// Type is "file" (default), "dir" or "image".
	Type string `json:"type,omitempty"`
	// Ref is where an image output is pushed: host/repository:tag. The
	// tag is moved; what run.json and the provenance record is the pushed
	// manifest (or index) digest.
	Ref string `json:"ref,omitempty"`
	// Platforms of an image output (os/arch[/variant]); several make an
	// image index. Empty: the engine's platform.
	Platforms []string `json:"platforms,omitempty"`
	Pos       Pos      `json:"pos"`
}

// Output types.
const (
	OutputFile  = "file"
	OutputDir   = "dir"
	OutputImage = "image"
)

// Service is a named service container that tasks bind by name (Dagger
// WithServiceBinding): the task reaches it at the host name Name. Image is
// a name in Spec.Images or a full reference (pinned by digest, like task
// images); Run or Sh, when set, is its command (otherwise the image's
// default command); Ports are the TCP ports it exposes, which the engine
// waits for before the binding task starts.
type Service struct {
	Name  string            `json:"name"`
	Image string            `json:"image"`
	Run   []string          `json:"run,omitempty"`
	Sh    string            `json:"sh,omitempty"`
	Env   map[string]string `json:"env,omitempty"`
	Ports []int             `json:"ports,omitempty"`
	Pos   Pos               `json:"pos"`
}

// Binding is a task's use of a service, by name.
type Binding struct {
	Name string `json:"name"`
	Pos  Pos    `json:"pos"`
}

// Matrix runs a task once per combination of its axes' values; each
// instance sees the values as environment variables named after the axes.
type Matrix struct {
	// Axes in file order: the order of the instance name and of the
	// combinations (the last axis varies fastest).
	Axes []Axis `json:"axes"`
	Pos  Pos    `json:"pos"`
}

// Axis is one variable of a matrix and its values, in file order.
type Axis struct {
	Name   string   `json:"name"`
	Values []string `json:"values"`
	Pos    Pos      `json:"pos"`
}
