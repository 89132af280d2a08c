package pipeline

import "strings"

// sensitivePrefixes name the environment variables that are signing
// material or credentials of the control plane: cosign key passwords and
// KMS settings, pinline's own configuration, cloud and secret-store
// credentials. No child process pinline starts (the dagger session, secret
// commands, host-backend tasks) sees them, and none is a secret source.
var sensitivePrefixes = []string{
	"COSIGN_", "SIGSTORE_", "PINLINE_",
	"AWS_", "GOOGLE_", "GCLOUD_", "CLOUDSDK_", "GCE_", "AZURE_", "ARM_", "MSI_", "IDENTITY_",
	"VAULT_", "KMS_", "ALIBABA_CLOUD_", "OCI_CLI_", "DIGITALOCEAN_", "HCLOUD_",
	"ACTIONS_ID_TOKEN_", "ACTIONS_RUNTIME_", "GITHUB_TOKEN", "GH_TOKEN", "CI_JOB_TOKEN", "CI_JOB_JWT",
}

// sensitiveEnv reports whether the variable name is signing material or a
// credential (see sensitivePrefixes).
func sensitiveEnv(name string) bool {
	u := strings.ToUpper(name)
	for _, p := range sensitivePrefixes {
		if strings.HasPrefix(u, p) {
			return true
		}
	}
	return false
}

// childEnv is env without the sensitive variables: the environment of the
// dagger session child and of host-backend tasks.
func childEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if !sensitiveEnv(name) {
			out = append(out, kv)
		}
	}
	return out
}

// minimalKeep are the variables a secret command keeps: enough to find
// programs and run in the user's locale, nothing else.
var minimalKeep = []string{"PATH", "HOME", "USER", "LOGNAME", "LANG", "TZ", "TMPDIR", "TERM"}

// minimalEnv is the environment of secret commands: the variables of
// minimalKeep and LC_* from env (a default PATH when it has none), never a
// sensitive one.
func minimalEnv(env []string) []string {
	var out []string
	hasPath := false
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		keep := strings.HasPrefix(name, "LC_")
		for _, k := range minimalKeep {
			keep = keep || name == k
		}
		if keep && !sensitiveEnv(name) {
			out = append(out, kv)
			hasPath = hasPath || name == "PATH"
		}
	}
	if !hasPath {
		out = append(out, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
	}
	return out
}
