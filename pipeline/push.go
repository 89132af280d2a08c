package pipeline

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"dagger.io/dagger"

	"github.com/pinline/pinline/record"
	"github.com/pinline/pinline/spec"
)

// OutputGit is the record output type of a pushed commit: Remote, Ref and
// Commit are set, File and the digests are not.
const OutputGit = "git"

// pushTarget is a task's push as the operator allows it: the remote entry
// that covers it and the credential's value ("" for none).
type pushTarget struct {
	push     spec.Push
	dir      string
	entry    spec.Remote
	password string
}

// resolvePushes checks every push of the plan against the operator's
// remotes for the tier and reads the credentials, on the host, before
// anything connects. Outside tier local a remote not on the list is denied
// (the gate's PL016, checked again here); in tier local an unlisted remote
// is pushed to without a credential.
func resolvePushes(ctx context.Context, o *Options, p *plan, red *redactor) (map[string]pushTarget, error) {
	out := map[string]pushTarget{}
	for _, n := range p.order {
		ps := n.task.Push
		if ps == nil {
			continue
		}
		if msg := spec.CheckRemote(ps.Remote); msg != "" {
			return nil, specErr(o.Spec, ps.Pos, "push remote %q %s", ps.Remote, msg)
		}
		pt := pushTarget{push: *ps, dir: ps.Dir}
		if pt.dir == "" {
			pt.dir = n.task.Workdir
		}
		entry, ok := o.Secrets.Remote(o.Tier, ps.Remote)
		switch {
		case !ok && o.Tier != "local":
			return nil, fmt.Errorf("%w: task %q: push to %q is not on the operator's remotes for tier %q (PL016)", ErrDenied, n.task.Name, ps.Remote, o.Tier)
		case ok && entry.Credential != "":
			v, err := resolveSecret(ctx, o, spec.Secret{Name: entry.Credential})
			if err != nil {
				return nil, fmt.Errorf("%w: task %q: push credential: %w", ErrInvalid, n.task.Name, err)
			}
			red.add(v)
			pt.password = v
		}
		pt.entry = entry
		out[n.task.Name] = pt
	}
	return out, nil
}

// pushScript pushes HEAD of the work directory to $PINLINE_GIT_REMOTE
// $PINLINE_GIT_REF and prints the commit. Remote, ref and credential come
// from the environment, never from the command line (which the engine
// records); hooks are off and only pinline's credential helper answers.
const pushScript = `set -eu
c=$(git -c safe.directory='*' rev-parse --verify 'HEAD^{commit}')
set --
if [ -n "${PINLINE_GIT_INSTEADOF:-}" ]; then
  set -- -c "url.$PINLINE_GIT_INSTEADOF.insteadOf=$PINLINE_GIT_REMOTE_BASE"
fi
git -c safe.directory='*' -c core.hooksPath=/dev/null -c credential.helper= \
  -c credential.helper='!f() { test "$1" = get || exit 0; echo "username=$PINLINE_GIT_USERNAME"; echo "password=${PINLINE_GIT_PASSWORD:-}"; }; f' \
  "$@" push -q "$PINLINE_GIT_REMOTE" "$c:$PINLINE_GIT_REF"
echo "pinline-pushed $c"
`

var rePushed = regexp.MustCompile(`(?m)^pinline-pushed ([0-9a-f]{40}|[0-9a-f]{64})$`)

// tunnelAlias is the host name a tunnelled remote is bound at.
const tunnelAlias = "pinline-remote"

// push runs the task's push in its finished container, after its outputs
// were exported: the state handed to later tasks never has the
// credential, the binding or the push exec.
func (b *daggerBackend) push(ctx context.Context, n *node, ctr *dagger.Container) (record.Output, string, error) {
	pt := b.pushes[n.task.Name]
	c := ctr.WithWorkdir(pt.dir).
		WithEnvVariable("PINLINE_GIT_REMOTE", pt.push.Remote).
		WithEnvVariable("PINLINE_GIT_REF", pt.push.Ref()).
		WithEnvVariable("PINLINE_GIT_USERNAME", pt.entry.Username).
		// A push is never served from the engine's cache.
		WithEnvVariable("PINLINE_PUSH_RUN", b.runID)
	if pt.entry.Username == "" {
		c = c.WithEnvVariable("PINLINE_GIT_USERNAME", "pinline")
	}
	if pt.password != "" {
		// "/" is in no secret name: the push credential never shares an
		// engine secret name with a secret the spec declares.
		c = c.WithSecretVariable("PINLINE_GIT_PASSWORD", b.c.SetSecret(secretID(n.task.Name, "")+"/push", pt.password))
	}
	if pt.entry.Tunnel {
		u, err := url.Parse(pt.push.Remote)
		if err != nil {
			return record.Output{}, "", err
		}
		host, port := u.Hostname(), u.Port()
		if port == "" {
			port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
		}
		pn, err := strconv.Atoi(port)
		if err != nil {
			return record.Output{}, "", fmt.Errorf("push remote %q: port %q", pt.push.Remote, port)
		}
		svc := b.c.Host().Service([]dagger.PortForward{{Backend: pn, Frontend: pn}}, dagger.HostServiceOpts{Host: host})
		base := u.Scheme + "://" + u.Host + "/"
		c = c.WithServiceBinding(tunnelAlias, svc).
			WithEnvVariable("PINLINE_GIT_REMOTE_BASE", base).
			WithEnvVariable("PINLINE_GIT_INSTEADOF", u.Scheme+"://"+net.JoinHostPort(tunnelAlias, port)+"/")
	}
	out, err := c.WithExec([]string{"sh", "-c", pushScript}).Stdout(ctx)
	if err != nil {
		return record.Output{}, out, err
	}
	m := rePushed.FindAllStringSubmatch(out, -1)
	if len(m) == 0 {
		return record.Output{}, out, fmt.Errorf("push %s %s: no commit reported", pt.push.Remote, pt.push.Ref())
	}
	commit := m[len(m)-1][1]
	return record.Output{Task: n.task.Name, Path: pt.dir, Type: OutputGit, Remote: pt.push.Remote, Ref: pt.push.Ref(), Commit: commit},
		strings.TrimSpace(strings.ReplaceAll(out, m[len(m)-1][0], "")), nil
}
