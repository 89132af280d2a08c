package spec

import (
	"strings"

	"gopkg.in/yaml.v3"
)

// MaxServicePorts is the most ports one service exposes.
const MaxServicePorts = 16

func (p *parser) services(s *Spec, n *yaml.Node) {
	if !p.kind(n, yaml.MappingNode, "services", "a mapping of service name to service") {
		return
	}
	s.Services = map[string]Service{}
	for i := 0; i+1 < len(n.Content) && p.err == nil; i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		name := p.str(k, "service name")
		switch {
		case p.err != nil:
			return
		case s.Services[name].Name != "":
			p.fail(k, "duplicate service name %q", name)
			return
		case !validServiceName(name):
			p.fail(k, "service name %q must be a lower-case host name: [a-z0-9]([a-z0-9-]*[a-z0-9])?, at most 63 characters, not starting with \"pinline\"", name)
			return
		}
		if p.alias(v) {
			return
		}
		s.Services[name] = p.service(name, k, v)
	}
}

func (p *parser) service(name string, k, n *yaml.Node) Service {
	sv := Service{Name: name, Pos: posOf(k)}
	what := "service " + name
	p.fields(n, what,
		p.strField(what+" ", "image", &sv.Image),
		val("run", func(v *yaml.Node) {
			sv.Run = p.strs(v, what+" run")
			if p.err == nil && len(sv.Run) == 0 {
				p.fail(v, "%s run must not be empty", what)
			}
		}),
		p.strField(what+" ", "sh", &sv.Sh),
		val("env", func(v *yaml.Node) { sv.Env = p.env(v, what+" env") }),
		val("ports", func(v *yaml.Node) { sv.Ports = p.ports(v, what+" ports") }),
	)
	switch {
	case p.err != nil:
	case sv.Image == "":
		p.fail(k, "%s needs an image", what)
	case sv.Run != nil && sv.Sh != "":
		p.fail(k, "%s has both run and sh; use one", what)
	}
	return sv
}

func (p *parser) ports(n *yaml.Node, what string) []int {
	if !p.kind(n, yaml.SequenceNode, what, "a list of port numbers") {
		return nil
	}
	if len(n.Content) > MaxServicePorts {
		p.fail(n, "%s has %d ports (at most %d)", what, len(n.Content), MaxServicePorts)
		return nil
	}
	var out []int
	for _, e := range n.Content {
		port := p.int(e, what+" element")
		if p.err != nil {
			return nil
		}
		if port < 1 || port > 65535 {
			p.fail(e, "%s: %d is not a port (1-65535)", what, port)
			return nil
		}
		for _, q := range out {
			if q == port {
				p.fail(e, "%s: duplicate port %d", what, port)
				return nil
			}
		}
		out = append(out, port)
	}
	return out
}

func (p *parser) bindings(n *yaml.Node, what string) []Binding {
	if !p.kind(n, yaml.SequenceNode, what, "a list of service names") {
		return nil
	}
	out := []Binding{}
	for _, e := range n.Content {
		name := p.str(e, what+" element")
		if p.err != nil {
			return nil
		}
		for _, b := range out {
			if b.Name == name {
				p.fail(e, "%s binds service %q twice", what, name)
				return nil
			}
		}
		out = append(out, Binding{Name: name, Pos: posOf(e)})
	}
	return out
}

// validServiceName is a DNS label in lower case (the task reaches the
// service at this host name, and host names are case-insensitive, so two
// services never differ in case only); names starting with "pinline" are
// pinline's own.
func validServiceName(s string) bool {
	if s == "" || len(s) > 63 || strings.HasPrefix(s, "pinline") || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// ServiceCommand is the argv a service runs (nil: the image's default).
func ServiceCommand(sv Service) []string {
	if sv.Sh != "" {
		return []string{"sh", "-c", sv.Sh}
	}
	return sv.Run
}
