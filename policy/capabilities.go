package policy

import (
	"slices"
	"strings"
	"sync"

	"github.com/open-policy-agent/opa/v1/ast"
)

// Gate and deploy policies are functions of their input: the same input
// gives the same decision, on any host, at any time, without the network.
// These builtins break that and are not available to them unless the
// operator opts in (--policy-all-builtins):
//
//   - http.send and net.* reach the network (or resolve names);
//   - opa.runtime exposes the host's environment and configuration;
//   - rand.* and uuid.rfc4122 are random;
//   - time.now_ns reads the clock (input.evaluation is the time instead).
var nondeterministic = []string{"http.send", "net.", "opa.runtime", "rand.", "uuid.rfc4122", "time.now_ns"}

// RemovedBuiltin reports whether name is withheld from policies by
// DeterministicCapabilities.
func RemovedBuiltin(name string) bool {
	return slices.ContainsFunc(nondeterministic, func(p string) bool {
		if strings.HasSuffix(p, ".") {
			return strings.HasPrefix(name, p)
		}
		return name == p
	})
}

var deterministic = sync.OnceValue(func() *ast.Capabilities {
	c := ast.CapabilitiesForThisVersion()
	c.Builtins = slices.DeleteFunc(c.Builtins, func(b *ast.Builtin) bool { return RemovedBuiltin(b.Name) })
	c.AllowNet = []string{} // no host for anything that still could reach one
	return c
})

// Capabilities returns what policies may call: the deterministic set, or
// OPA's full set when all is true (the operator's opt-in).
func Capabilities(all bool) *ast.Capabilities {
	if all {
		return ast.CapabilitiesForThisVersion()
	}
	return deterministic()
}
