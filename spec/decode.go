package spec

import "gopkg.in/yaml.v3"

func (p *parser) spec(n *yaml.Node) *Spec {
	s := &Spec{Path: p.file, Images: map[string]Image{}, Pos: posOf(n)}
	hasVersion := false
	p.fields(n, "spec",
		val("version", func(v *yaml.Node) {
			hasVersion = true
			s.Version = p.int(v, "version")
			if p.err == nil && s.Version != 1 {
				p.fail(v, "unsupported spec version %d (want 1)", s.Version)
			}
		}),
		p.strField("", "name", &s.Name),
		val("images", func(v *yaml.Node) { p.images(s, v) }),
		p.strField("", "defaultImage", &s.DefaultImage),
		val("concurrency", func(v *yaml.Node) {
			s.Concurrency = p.int(v, "concurrency")
			if p.err == nil && s.Concurrency < 0 {
				p.fail(v, "concurrency must not be negative")
			}
		}),
		val("env", func(v *yaml.Node) { s.Env = p.env(v, "env") }),
		val("services", func(v *yaml.Node) { p.services(s, v) }),
		val("tasks", func(v *yaml.Node) { p.tasks(s, v) }),
	)
	if p.err == nil && !hasVersion {
		p.fail(n, "missing version (want version: 1)")
	}
	if p.err == nil && len(s.Tasks) == 0 {
		p.fail(n, "spec has no tasks")
	}
	return s
}

func (p *parser) images(s *Spec, n *yaml.Node) {
	if !p.kind(n, yaml.MappingNode, "images", "a mapping of name to image reference") {
		return
	}
	for i := 0; i+1 < len(n.Content) && p.err == nil; i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		name := p.str(k, "image name")
		if _, dup := s.Images[name]; dup {
			p.fail(k, "duplicate image name %q", name)
			return
		}
		ref := p.str(v, "image "+name)
		if p.err == nil && !validRef(ref) {
			p.fail(v, "image %s: %q is not an image reference", name, ref)
		}
		s.Images[name] = Image{Name: name, Ref: ref, Pos: posOf(v)}
	}
}

func (p *parser) tasks(s *Spec, n *yaml.Node) {
	if !p.kind(n, yaml.MappingNode, "tasks", "a mapping of task name to task") {
		return
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content) && p.err == nil; i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		name := p.str(k, "task name")
		if p.err != nil {
			return
		}
		if seen[name] {
			p.fail(k, "duplicate task name %q", name)
			return
		}
		if !validName(name) {
			p.fail(k, "task name %q must match [A-Za-z0-9][A-Za-z0-9._-]*", name)
			return
		}
		seen[name] = true
		if p.alias(v) {
			return
		}
		s.Tasks = append(s.Tasks, p.task(name, k, v))
	}
}

func (p *parser) task(name string, k, n *yaml.Node) Task {
	t := Task{Name: name, Pos: posOf(k)}
	what := "task " + name
	p.fields(n, what,
		p.strField(what+" ", "image", &t.Image),
		p.strField(what+" ", "from", &t.From),
		val("run", func(v *yaml.Node) {
			t.Run = p.strs(v, what+" run")
			if p.err == nil && len(t.Run) == 0 {
				p.fail(v, "%s run must not be empty", what)
			}
		}),
		p.strField(what+" ", "sh", &t.Sh),
		p.strField(what+" ", "workdir", &t.Workdir),
		val("env", func(v *yaml.Node) { t.Env = p.env(v, what+" env") }),
		p.strField(what+" ", "user", &t.User),
		val("mounts", func(v *yaml.Node) {
			p.list(v, what+" mounts", func(e *yaml.Node) { t.Mounts = append(t.Mounts, p.mount(e, what)) })
		}),
		val("cache", func(v *yaml.Node) {
			p.list(v, what+" cache", func(e *yaml.Node) { t.Cache = append(t.Cache, p.cache(e, what)) })
		}),
		val("secrets", func(v *yaml.Node) {
			p.list(v, what+" secrets", func(e *yaml.Node) { t.Secrets = append(t.Secrets, p.secret(e, what)) })
		}),
		val("outputs", func(v *yaml.Node) {
			p.list(v, what+" outputs", func(e *yaml.Node) { t.Outputs = append(t.Outputs, p.output(e, what)) })
		}),
		p.strsField(what+" ", "dependsOn", &t.DependsOn),
		val("timeout", func(v *yaml.Node) { t.Timeout = p.duration(v, what+" timeout") }),
		val("call", func(v *yaml.Node) { t.Call = p.call(v, what) }),
		val("services", func(v *yaml.Node) { t.Services = p.bindings(v, what+" services") }),
		val("matrix", func(v *yaml.Node) { t.Matrix = p.matrix(v, name, what) }),
		val("push", func(v *yaml.Node) { t.Push = p.push(v, what) }),
	)
	return t
}

func (p *parser) call(n *yaml.Node, what string) *Call {
	c := &Call{Pos: posOf(n)}
	what += " call"
	p.fields(n, what,
		p.strField(what+" ", "module", &c.Module),
		p.strField(what+" ", "function", &c.Function),
		p.strsField(what+" ", "args", &c.Args),
		p.strField(what+" ", "output", &c.Output),
	)
	if p.err == nil && c.Function == "" {
		p.fail(n, "%s needs a function", what)
	}
	return c
}

func (p *parser) list(n *yaml.Node, what string, f func(*yaml.Node)) {
	if !p.kind(n, yaml.SequenceNode, what, "a list") {
		return
	}
	for _, e := range n.Content {
		if p.err != nil || p.alias(e) {
			return
		}
		f(e)
	}
}

func (p *parser) env(n *yaml.Node, what string) map[string]string {
	if !p.kind(n, yaml.MappingNode, what, "a mapping") {
		return nil
	}
	out := map[string]string{}
	for i := 0; i+1 < len(n.Content) && p.err == nil; i += 2 {
		k := p.str(n.Content[i], what+" name")
		if _, dup := out[k]; dup {
			p.fail(n.Content[i], "duplicate variable %q in %s", k, what)
		}
		v := n.Content[i+1]
		if p.kind(v, yaml.ScalarNode, what+" "+k, "a scalar") {
			out[k] = v.Value
		}
	}
	return out
}

func (p *parser) mount(n *yaml.Node, what string) Mount {
	m := Mount{Pos: posOf(n)}
	p.fields(n, what+" mount",
		p.strField("mount ", "source", &m.Source),
		p.strField("mount ", "target", &m.Target),
		val("readOnly", func(v *yaml.Node) { m.ReadOnly = p.bool(v, "mount readOnly") }),
		p.strsField("mount ", "include", &m.Include),
		p.strsField("mount ", "exclude", &m.Exclude),
	)
	if p.err == nil && (m.Source == "" || m.Target == "") {
		p.fail(n, "%s: a mount needs source and target", what)
	}
	return m
}

func (p *parser) cache(n *yaml.Node, what string) Cache {
	c := Cache{Pos: posOf(n)}
	p.fields(n, what+" cache",
		p.strField("cache ", "name", &c.Name),
		p.strField("cache ", "path", &c.Path),
		val("sharing", func(v *yaml.Node) {
			c.Sharing = p.str(v, "cache sharing")
			if p.err == nil && c.Sharing != "shared" && c.Sharing != "private" && c.Sharing != "locked" {
				p.fail(v, "cache sharing must be shared, private or locked, not %q", c.Sharing)
			}
		}),
	)
	if p.err == nil && (c.Name == "" || c.Path == "") {
		p.fail(n, "%s: a cache needs name and path", what)
	}
	return c
}

func (p *parser) secret(n *yaml.Node, what string) Secret {
	s := Secret{Pos: posOf(n)}
	var from *yaml.Node
	p.fields(n, what+" secret",
		p.strField("secret ", "name", &s.Name),
		p.strField("secret ", "env", &s.Env),
		p.strField("secret ", "path", &s.Path),
		val("from", func(v *yaml.Node) {
			from = v
			s.From = p.source(v, "secret from")
		}),
		val("value", func(v *yaml.Node) {
			// A literal value is parsed so that the gate can deny it.
			if p.kind(v, yaml.ScalarNode, "secret value", "a string") {
				s.Value = v.Value
			}
		}),
	)
	if p.err != nil {
		return s
	}
	switch {
	case s.Name == "":
		p.fail(n, "%s: a secret needs a name", what)
	case (s.Env == "") == (s.Path == ""):
		p.fail(n, "%s: secret %s needs exactly one of env and path", what, s.Name)
	case from != nil && count(s.From.Env != "", s.From.File != "", s.From.Command != nil) != 1:
		p.fail(from, "%s: secret %s from needs exactly one of env, file and command", what, s.Name)
	}
	return s
}

// source parses {env: NAME} | {file: PATH} | {command: [ARGV...]}; the
// caller checks that exactly one is set.
func (p *parser) source(n *yaml.Node, what string) SecretSource {
	var src SecretSource
	p.fields(n, what,
		p.strField(what+".", "env", &src.Env),
		p.strField(what+".", "file", &src.File),
		val("command", func(v *yaml.Node) {
			src.Command = p.strs(v, what+".command")
			if p.err == nil && len(src.Command) == 0 {
				p.fail(v, "%s.command must not be empty", what)
			}
		}),
	)
	return src
}

// Set reports whether any source is named.
func (s SecretSource) Set() bool { return s.Env != "" || s.File != "" || len(s.Command) > 0 }

func (p *parser) output(n *yaml.Node, what string) Output {
	o := Output{Pos: posOf(n)}
	p.fields(n, what+" output",
		p.strField("output ", "path", &o.Path),
		val("dest", func(v *yaml.Node) {
			o.Dest = p.str(v, "output dest")
			if p.err == nil {
				if msg := CheckDest(o.Dest); msg != "" {
					p.fail(v, "%s output dest %q %s", what, o.Dest, msg)
				}
			}
		}),
		val("type", func(v *yaml.Node) {
			o.Type = p.str(v, "output type")
			if p.err == nil && o.Type != OutputFile && o.Type != OutputDir && o.Type != OutputImage {
				p.fail(v, "output type must be file, dir or image, not %q", o.Type)
			}
		}),
		val("ref", func(v *yaml.Node) {
			o.Ref = p.str(v, "output ref")
			if p.err == nil {
				if msg := CheckImageRef(o.Ref); msg != "" {
					p.fail(v, "%s output ref %q %s", what, o.Ref, msg)
				}
			}
		}),
		val("platforms", func(v *yaml.Node) {
			o.Platforms = p.strs(v, what+" output platforms")
			if p.err == nil {
				if msg := CheckPlatforms(o.Platforms); msg != "" {
					p.fail(v, "%s output platforms: %s", what, msg)
				}
			}
		}),
	)
	if p.err != nil {
		return o
	}
	if o.Type == OutputImage {
		switch {
		case o.Ref == "":
			p.fail(n, "%s: an image output needs a ref (host/repository:tag)", what)
		case o.Dest != "":
			p.fail(n, "%s: an image output is pushed to its ref and has no dest", what)
		}
		return o
	}
	switch {
	case o.Path == "":
		p.fail(n, "%s: an output needs a path", what)
	case o.Ref != "" || o.Platforms != nil:
		p.fail(n, "%s: ref and platforms are for outputs of type image", what)
	}
	return o
}

func count(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}
