package pipeline

import (
	"maps"
	"slices"
	"strings"

	"dagger.io/dagger"

	"github.com/pinline/pinline/record"
	"github.com/pinline/pinline/spec"
)

// bindServices resolves the services a task binds (the parser checked the
// names; a Spec built in code is checked here).
func bindServices(s *spec.Spec, n *node) error {
	n.services = nil
	for _, b := range n.task.Services {
		sv, ok := s.Services[b.Name]
		if !ok {
			return specErr(s, b.Pos, "task %q binds unknown service %q", n.base, b.Name)
		}
		ref := s.ServiceImageRef(sv)
		if !strings.ContainsAny(ref, "/:@") {
			return specErr(s, sv.Pos, "service %q uses unknown image %q", sv.Name, sv.Image)
		}
		n.services = append(n.services, boundService{Service: sv, ref: ref})
	}
	return nil
}

// withServices binds the task's services: each a container of its pinned
// image with its environment and exposed ports, run as a Dagger service
// and reachable from the task at the service's name. The engine starts a
// service when a task that binds it runs and waits for its ports.
func (b *daggerBackend) withServices(ctr *dagger.Container, n *node) *dagger.Container {
	for _, sv := range n.services {
		c := b.c.Container().From(sv.ref)
		for _, k := range slices.Sorted(maps.Keys(sv.Env)) {
			c = c.WithEnvVariable(k, sv.Env[k])
		}
		for _, p := range sv.Ports {
			c = c.WithExposedPort(p)
		}
		svc := c.AsService(dagger.ContainerAsServiceOpts{Args: spec.ServiceCommand(sv.Service)})
		ctr = ctr.WithServiceBinding(sv.Name, svc)
	}
	return ctr
}

// recordServices adds the services the plan binds to the record: each
// once, with the tasks binding it, and its image among the run's images
// (so that the SBOM and the provenance list it like a task image).
func recordServices(o *Options, p *plan, rec *record.Run, seenImage map[string]bool) {
	idx := map[string]int{}
	for _, n := range p.order {
		for _, sv := range n.services {
			i, ok := idx[sv.Name]
			if !ok {
				i = len(rec.Services)
				idx[sv.Name] = i
				rec.Services = append(rec.Services, record.Service{Name: sv.Name, Image: sv.ref, Digest: refDigest(sv.ref),
					Command: spec.ServiceCommand(sv.Service), EnvKeys: slices.Sorted(maps.Keys(sv.Env)),
					Ports: append([]int{}, sv.Ports...), Tasks: []string{}})
				if !seenImage[sv.ref] {
					seenImage[sv.ref] = true
					rec.Images = append(rec.Images, record.Image{Name: serviceImageName(o, sv.Service), Ref: sv.ref, Digest: refDigest(sv.ref)})
				}
			}
			rec.Services[i].Tasks = append(rec.Services[i].Tasks, n.task.Name)
		}
	}
}

func serviceImageName(o *Options, sv spec.Service) string {
	if _, ok := o.Spec.Images[sv.Image]; ok {
		return sv.Image
	}
	return "service:" + sv.Name
}
