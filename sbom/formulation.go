package sbom

import (
	"fmt"
	"strings"
	"time"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/pinline/pinline/record"
)

// formulation describes the workflow that ran: one workflow with a task per
// executed (or skipped) task, each with one step holding its command, image,
// times, exit code and cache volumes, and the engine as platform component.
func formulation(run *record.Run, imageRefs map[string]string, outputRefs, publishedRefs []string) *[]cdx.Formula {
	id := run.ID
	if id == "" {
		id = "run"
	}
	taskRef := func(name string) string { return "task:" + id + ":" + name }
	outputsByTask := map[string][]string{}
	for i, o := range run.Outputs {
		outputsByTask[o.Task] = append(outputsByTask[o.Task], outputRefs[i])
	}
	for i, p := range run.Published {
		outputsByTask[p.Task] = append(outputsByTask[p.Task], publishedRefs[i])
	}
	known := map[string]bool{}
	for _, t := range run.Tasks {
		known[t.Name] = true
	}
	tasks := make([]cdx.Task, 0, len(run.Tasks))
	taskDeps := make([]cdx.Dependency, 0, len(run.Tasks))
	for _, t := range run.Tasks {
		ref := taskRef(t.Name)
		task := cdx.Task{
			BOMRef: ref, UID: ref, Name: t.Name, TaskTypes: &[]cdx.TaskType{taskType(t.Name)},
			TimeStart: timeString(t.StartedAt), TimeEnd: timeString(t.FinishedAt),
		}
		props := []cdx.Property{
			prop("task:status", t.Status),
			prop("task:exit-code", fmt.Sprint(t.ExitCode)),
			prop("task:duration-ms", fmt.Sprint(t.DurationMS)),
		}
		if t.Cached != nil {
			// Whether the engine served the exec from its cache.
			props = append(props, prop("task:exec-cached", fmt.Sprint(*t.Cached)))
		}
		step := cdx.TaskStep{Name: t.Name}
		if len(t.Command) > 0 {
			step.Commands = &[]cdx.TaskCommand{{Executed: shellJoin(t.Command)}}
		}
		sp := []cdx.Property{prop("task:exit-code", fmt.Sprint(t.ExitCode))}
		if t.Image != "" {
			im, _ := parseImageRef(t.Image) // checked by ForRun
			sp = append(sp, prop("task:image", im.String()))
			if im.Digest != "" {
				sp = append(sp, prop("task:image-digest", im.Digest))
			}
		}
		for _, p := range []cdx.Property{prop("task:from", t.From), prop("task:workdir", t.Workdir)} {
			if p.Value != "" {
				sp = append(sp, p)
			}
		}
		for _, k := range t.EnvKeys {
			sp = append(sp, prop("task:env-key", k))
		}
		step.Properties = &sp
		task.Steps = &[]cdx.TaskStep{step}
		var inputs []cdx.TaskInput
		if r := imageRefs[t.Image]; r != "" {
			inputs = append(inputs, cdx.TaskInput{Resource: &cdx.ResourceReferenceChoice{Ref: r}})
		}
		if known[t.From] {
			inputs = append(inputs, cdx.TaskInput{Source: &cdx.ResourceReferenceChoice{Ref: taskRef(t.From)},
				Resource: &cdx.ResourceReferenceChoice{Ref: taskRef(t.From)}})
		}
		if len(inputs) > 0 {
			task.Inputs = &inputs
		}
		var outputs []cdx.TaskOutput
		for _, r := range outputsByTask[t.Name] {
			outputs = append(outputs, cdx.TaskOutput{Type: cdx.TaskOutputTypeArtifact, Resource: &cdx.ResourceReferenceChoice{Ref: r}})
		}
		if t.Log != "" {
			er := &cdx.ExternalReference{Type: cdx.ERTypeLog, URL: t.Log}
			if h, ok := digestHash("sha256:" + strings.TrimPrefix(t.LogSHA256, "sha256:")); ok {
				er.Hashes = &[]cdx.Hash{h}
			}
			outputs = append(outputs, cdx.TaskOutput{Type: cdx.TaskOutputTypeLog, Resource: &cdx.ResourceReferenceChoice{ExternalReference: er}})
		}
		if len(outputs) > 0 {
			task.Outputs = &outputs
		}
		if len(t.Caches) > 0 {
			ws := make([]cdx.TaskWorkspace, 0, len(t.Caches))
			for _, c := range t.Caches {
				wref := ref + ":cache:" + c.Name
				mode := cdx.TaskWorkspaceAccessModeReadWrite
				if c.Mode == "snapshot" {
					mode = cdx.TaskWorkspaceAccessModeReadOnly
				}
				wp := []cdx.Property{prop("cache:mode", c.Mode)}
				if c.Sharing != "" {
					wp = append(wp, prop("cache:sharing", c.Sharing))
				}
				ws = append(ws, cdx.TaskWorkspace{
					BOMRef: wref, UID: wref, Name: c.Name, AccessMode: mode, MountPath: c.Path,
					ManagedDataType: "cache-volume",
					Volume:          &cdx.Volume{Name: c.Volume, Mode: volumeModeFilesystem, Persistent: cdx.Bool(true)},
					Properties:      &wp,
				})
			}
			task.Workspaces = &ws
		}
		task.Properties = &props
		tasks = append(tasks, task)
		on := []string{}
		for _, d := range t.DependsOn {
			if known[d] && !contains(on, taskRef(d)) {
				on = append(on, taskRef(d))
			}
		}
		if known[t.From] && !contains(on, taskRef(t.From)) {
			on = append(on, taskRef(t.From))
		}
		taskDeps = append(taskDeps, cdx.Dependency{Ref: ref, Dependencies: &on})
	}
	wref := "workflow:" + id
	wf := cdx.Workflow{
		BOMRef: wref, UID: wref, Name: "pinline run " + id, TaskTypes: &[]cdx.TaskType{cdx.TaskTypeBuild},
		Tasks: &tasks, TaskDependencies: &taskDeps,
		TimeStart: timeString(run.StartedAt), TimeEnd: timeString(run.FinishedAt),
	}
	wp := []cdx.Property{prop("run:status", run.Status)}
	if run.Tier != "" {
		wp = append(wp, prop("run:tier", run.Tier))
	}
	if len(run.Requested) > 0 {
		wp = append(wp, prop("run:requested", strings.Join(run.Requested, " ")))
	}
	wf.Properties = &wp
	f := cdx.Formula{BOMRef: "formula:" + id, Workflows: &[]cdx.Workflow{wf}}
	if e := engineComponent(run.Engine); e != nil {
		addProp(e, "engine:address", safeAddress(run.Engine.Address))
		addProp(e, "engine:gateway", safeAddress(run.Engine.Gateway))
		e.BOMRef = "formula:" + id + ":" + e.BOMRef
		f.Components = &[]cdx.Component{*e}
		wf.ResourceReferences = &[]cdx.ResourceReferenceChoice{{Ref: e.BOMRef}}
		(*f.Workflows)[0] = wf
	}
	return &[]cdx.Formula{f}
}

// volumeModeFilesystem is the schema's value; cyclonedx-go v0.12.0's
// VolumeModeFilesystem ("file-system") does not validate.
const volumeModeFilesystem cdx.VolumeMode = "filesystem"

func prop(name, value string) cdx.Property {
	return cdx.Property{Name: PropertyPrefix + name, Value: value}
}

func timeString(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// taskType guesses the CycloneDX task type from a task name.
func taskType(name string) cdx.TaskType {
	n := strings.ToLower(name)
	switch {
	case strings.Contains(n, "test"):
		return cdx.TaskTypeTest
	case strings.Contains(n, "lint") || strings.Contains(n, "vet"):
		return cdx.TaskTypeLint
	case strings.Contains(n, "scan"):
		return cdx.TaskTypeScan
	case strings.Contains(n, "release") || strings.Contains(n, "publish"):
		return cdx.TaskTypeRelease
	case strings.Contains(n, "deploy"):
		return cdx.TaskTypeDeploy
	case strings.Contains(n, "clone") || strings.Contains(n, "checkout"):
		return cdx.TaskTypeClone
	}
	return cdx.TaskTypeBuild
}

// safeAddress drops any user information from an engine address.
func safeAddress(a string) string {
	if scheme, rest, ok := strings.Cut(a, "://"); ok {
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			rest = rest[at+1:]
		}
		return scheme + "://" + rest
	}
	return a
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// shellJoin renders argv as one shell-quoted command line.
func shellJoin(argv []string) string {
	var b strings.Builder
	for i, a := range argv {
		if i > 0 {
			b.WriteByte(' ')
		}
		if a != "" && strings.IndexFunc(a, func(r rune) bool {
			return !(r == '-' || r == '_' || r == '.' || r == '/' || r == '=' || r == ':' || r == ',' || r == '@' || r == '+' ||
				'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
		}) < 0 {
			b.WriteString(a)
			continue
		}
		b.WriteString("'" + strings.ReplaceAll(a, "'", `'"'"'`) + "'")
	}
	return b.String()
}
