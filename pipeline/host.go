package pipeline

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/pinline/pinline/inventory"
	"github.com/pinline/pinline/record"
)

// hostBackend runs tasks directly on this machine, for debugging. There is
// no isolation: images, users and caches are ignored, mounts map container
// paths back to the repository, and the record says backend "host". The
// built-in gate denies it outside the "local" tier.
type hostBackend struct {
	o       *Options
	secrets map[string]map[string]string
	out     *exporter
}

func (h *hostBackend) exec(ctx context.Context, n *node, _ any) outcome {
	t := n.task
	if t.Call != nil {
		return outcome{status: record.StatusFailed, exitCode: -1, err: fmt.Errorf("%w: task %q calls a module function: that needs the dagger backend", ErrInvalid, t.Name)}
	}
	if len(n.services) > 0 || t.Push != nil {
		return outcome{status: record.StatusFailed, exitCode: -1, err: fmt.Errorf("%w: task %q binds services or pushes: that needs the dagger backend", ErrInvalid, t.Name)}
	}
	wd := h.o.Root
	if t.Workdir != "" {
		p, err := h.hostPath(n, t.Workdir)
		if err != nil {
			return outcome{status: record.StatusFailed, exitCode: -1, err: fmt.Errorf("workdir: %w", err)}
		}
		wd = p
	}
	argv := command(t)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = wd
	env := childEnv(h.o.HostEnv)
	for _, k := range slices.Sorted(maps.Keys(t.Env)) {
		env = append(env, k+"="+t.Env[k])
	}
	for _, s := range t.Secrets {
		if s.Path != "" {
			return outcome{status: record.StatusFailed, exitCode: -1, err: fmt.Errorf("secret %q: path secrets need the dagger backend", s.Name)}
		}
		env = append(env, s.Env+"="+h.secrets[t.Name][s.Name])
	}
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return outcome{status: record.StatusFailed, exitCode: -1, err: err}
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	var err error
	select {
	case err = <-waited:
	case <-ctx.Done():
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		err = <-waited
	}
	res := outcome{status: record.StatusSucceeded, stdout: stdout.String(), stderr: stderr.String()}
	if err != nil {
		var xe *exec.ExitError
		res.status, res.exitCode = record.StatusFailed, -1
		if errors.As(err, &xe) && xe.ExitCode() >= 0 {
			res.exitCode = xe.ExitCode()
			res.err = fmt.Errorf("exit code %d", res.exitCode)
		} else {
			res.err = err
		}
		return res
	}
	for _, o := range t.Outputs {
		src, err := h.hostPath(n, o.Path)
		if err != nil {
			res.status, res.err = record.StatusFailed, fmt.Errorf("output %s: %w", o.Path, err)
			return res
		}
		out, err := h.out.export(ctx, t.Name, o, func(_ context.Context, st staging) error {
			return copyTree(src, st)
		})
		if err != nil {
			res.status, res.err = record.StatusFailed, err
			return res
		}
		res.outputs = append(res.outputs, out)
	}
	return res
}

// hostPath maps a container path to the host through the task's mounts
// (and those of the tasks it continues from).
func (h *hostBackend) hostPath(n *node, p string) (string, error) {
	if !path.IsAbs(p) {
		return "", fmt.Errorf("%s: want an absolute container path", p)
	}
	for _, m := range h.mounts(n) {
		rel, err := filepath.Rel(m.Target, p)
		if err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
			src, inside := inventory.ResolveIn(h.o.Root, m.Source)
			if !inside {
				return "", fmt.Errorf("mount source %q resolves to %q, outside the repository", m.Source, src)
			}
			return filepath.Join(src, rel), nil
		}
	}
	return "", fmt.Errorf("%s is not under a mount; the host backend only sees mounted directories", p)
}

func (h *hostBackend) mounts(n *node) []mountRef {
	var ms []mountRef
	for _, m := range n.task.Mounts {
		ms = append(ms, mountRef{m.Source, m.Target})
	}
	for _, t := range h.o.Spec.Tasks {
		if t.Name == n.task.From {
			ms = append(ms, h.mounts(&node{task: t})...)
		}
	}
	return ms
}

type mountRef struct{ Source, Target string }

// copyTree copies a file or a directory tree (symlinks as symlinks, never
// followed) into st, writing through the run directory's root.
func copyTree(src string, st staging) error {
	info, err := os.Lstat(src)
	if err != nil {
		return err
	}
	if !info.IsDir() {
		return copyEntry(src, st.root, st.rel, info)
	}
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := path.Join(st.rel, filepath.ToSlash(rel))
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			return st.root.MkdirAll(to, 0o755)
		}
		return copyEntry(p, st.root, to, info)
	})
}

func copyEntry(src string, root *os.Root, dst string, info fs.FileInfo) error {
	if info.Mode()&fs.ModeSymlink != 0 {
		target, err := os.Readlink(src)
		if err != nil {
			return err
		}
		return root.Symlink(target, dst)
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", src)
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := root.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, info.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
