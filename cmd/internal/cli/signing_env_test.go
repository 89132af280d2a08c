package cli

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Signing material and credentials never reach a child process: the
// `dagger session` child pinline starts reads its own /proc/<pid>/environ
// here (a stand-in CLI that records it and exits), while pinline's own
// environment holds COSIGN_PASSWORD, PINLINE_* and cloud credentials. Not
// parallel: it sets the process environment the child inherits from.
func TestSessionChildNeverSeesSigningMaterial(t *testing.T) {
	dir := t.TempDir()
	canaries := map[string]string{
		"COSIGN_PASSWORD": "cosign-canary", "COSIGN_KEY": "cosign-key-canary", "PINLINE_SECRETS": "/pinline-canary",
		"AWS_SECRET_ACCESS_KEY": "aws-canary", "GOOGLE_APPLICATION_CREDENTIALS": "/google-canary",
		"AZURE_CLIENT_SECRET": "azure-canary", "VAULT_TOKEN": "vault-canary",
	}
	for k, v := range canaries {
		t.Setenv(k, v)
	}
	dump := filepath.Join(dir, "environ")
	cli := filepath.Join(dir, "dagger")
	script := fmt.Sprintf("#!/bin/sh\ntr '\\000' '\\n' < /proc/$$/environ > %s\nexit 1\n", dump)
	if err := os.WriteFile(cli, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "engine.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	eng := filepath.Join(dir, "engine.json")
	if err := os.WriteFile(eng, []byte(fmt.Sprintf(`{"engine": {"address": "unix://%s"}}`, sock)), 0o644); err != nil {
		t.Fatal(err)
	}
	spec := filepath.Join(dir, "pinline.yaml")
	if err := os.WriteFile(spec, []byte("version: 1\ntasks:\n  a: {image: \""+pinnedBusybox+"\", run: [env]}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// pinline's own view (the streams' environment) has the key password;
	// the process environment, which children inherit from, has them all.
	env := map[string]string{EnvDaggerCLI.Name: cli, "COSIGN_PASSWORD": canaries["COSIGN_PASSWORD"]}
	code, out, errOut := runCLICtx(context.Background(), env, "run", "-f", spec, "--engine-config", eng, "--connect-timeout", "5s")
	if code != ExitOperational {
		t.Fatalf("run with a CLI that exits: exit %d, want %d\n%s\n%s", code, ExitOperational, out, errOut)
	}
	b, err := os.ReadFile(dump)
	if err != nil {
		t.Fatalf("the session child did not run: %v", err)
	}
	environ := string(b)
	if !strings.Contains(environ, "_EXPERIMENTAL_DAGGER_RUNNER_HOST=") {
		t.Fatalf("not the session child's environment:\n%s", environ)
	}
	for k, v := range canaries {
		if strings.Contains(environ, k+"=") || strings.Contains(environ, v) {
			t.Errorf("the session child's environment has %s", k)
		}
	}
	for _, v := range canaries {
		if strings.Contains(out+errOut, v) {
			t.Errorf("canary %q in pinline's output", v)
		}
	}
}
