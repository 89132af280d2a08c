package deploy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/yaml"

	engineconfig "github.com/pinline/pinline/engine-config"
	"github.com/pinline/pinline/internal/testenv"
)

const chart = "pinline"

func helm(t *testing.T, args ...string) (string, error) {
	t.Helper()
	bin := testenv.Require(t, "PINLINE_HELM_BIN", "hack/setup.d/10-tools.sh")
	cmd := exec.Command(bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+t.TempDir(), "HELM_CONFIG_HOME="+t.TempDir(), "HELM_DATA_HOME="+t.TempDir())
	err := cmd.Run()
	if err != nil {
		return out.String(), fmt.Errorf("helm %s: %w\n%s", strings.Join(args, " "), err, errb.String())
	}
	return out.String(), nil
}

func render(t *testing.T, extra ...string) (string, error) {
	args := append([]string{"template", "rel", chart, "--namespace", "ci", "--kube-version", "1.31.0",
		"-f", filepath.Join(chart, "ci", "test-values.yaml")}, extra...)
	return helm(t, args...)
}

// manifests is the rendered chart decoded strictly by kind.
type manifests struct {
	deployments  []appsv1.Deployment
	statefulSets []appsv1.StatefulSet
	services     []corev1.Service
	configMaps   []corev1.ConfigMap
	policies     []networkingv1.NetworkPolicy
	pdbs         []policyv1.PodDisruptionBudget
}

// strict decodes one YAML document into v, refusing unknown fields (a
// misspelt or misplaced key in a template fails the test).
func strict(doc []byte, v any) error {
	j, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// decodeInto decodes one document strictly and appends it to dst.
func decodeInto[T any](doc []byte, dst *[]T) error {
	var v T
	if err := strict(doc, &v); err != nil {
		return err
	}
	*dst = append(*dst, v)
	return nil
}

func decodeAll(t *testing.T, out string) manifests {
	t.Helper()
	var m manifests
	for i, doc := range strings.Split(out, "\n---") {
		if strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(doc), "---")) == "" {
			continue
		}
		var head struct{ APIVersion, Kind string }
		if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
			t.Fatalf("document %d: %v\n%s", i, err, doc)
		}
		var err error
		switch head.APIVersion + " " + head.Kind {
		case "apps/v1 Deployment":
			err = decodeInto([]byte(doc), &m.deployments)
		case "apps/v1 StatefulSet":
			err = decodeInto([]byte(doc), &m.statefulSets)
		case "v1 Service":
			err = decodeInto([]byte(doc), &m.services)
		case "v1 ConfigMap":
			err = decodeInto([]byte(doc), &m.configMaps)
		case "networking.k8s.io/v1 NetworkPolicy":
			err = decodeInto([]byte(doc), &m.policies)
		case "policy/v1 PodDisruptionBudget":
			err = decodeInto([]byte(doc), &m.pdbs)
		default:
			t.Fatalf("document %d: unexpected %s %s", i, head.APIVersion, head.Kind)
		}
		if err != nil {
			t.Fatalf("document %d (%s): strict decode: %v\n%s", i, head.Kind, err, doc)
		}
	}
	return m
}

func TestChartLint(t *testing.T) {
	if out, err := helm(t, "lint", chart, "--strict", "-f", filepath.Join(chart, "ci", "test-values.yaml")); err != nil {
		t.Fatalf("helm lint: %v\n%s", err, out)
	}
}

func TestChartRenders(t *testing.T) {
	out, err := render(t)
	if err != nil {
		t.Fatal(err)
	}
	m := decodeAll(t, out)
	if len(m.deployments) != 1 || len(m.statefulSets) != 2 || len(m.configMaps) != 1 || len(m.policies) != 3 || len(m.pdbs) != 3 || len(m.services) != 4 {
		t.Fatalf("rendered %d deployments, %d statefulsets, %d configmaps, %d policies, %d pdbs, %d services",
			len(m.deployments), len(m.statefulSets), len(m.configMaps), len(m.policies), len(m.pdbs), len(m.services))
	}
	gw := m.deployments[0]
	if *gw.Spec.Replicas < 2 {
		t.Errorf("gateway replicas %d, want ≥2", *gw.Spec.Replicas)
	}
	if img := gw.Spec.Template.Spec.Containers[0].Image; !strings.Contains(img, "@sha256:") {
		t.Errorf("gateway image %q not pinned by digest", img)
	}
	gwLabels := gw.Spec.Template.Labels

	// The tier config is rendered from values and is a valid gateway
	// configuration, one tls:// backend per engine pod.
	cfg, err := engineconfig.ParseGateway([]byte(m.configMaps[0].Data["gateway.yaml"]), "")
	if err != nil {
		t.Fatalf("rendered gateway.yaml: %v", err)
	}
	wantEngines := map[string]int{"trusted": 2, "untrusted": 3}
	for name, n := range wantEngines {
		tier := cfg.Tier(name)
		if tier == nil || len(tier.Backends) != n || tier.CacheMode != engineconfig.CacheStrong {
			t.Fatalf("tier %s in gateway.yaml: %+v", name, tier)
		}
		for i, b := range tier.Backends {
			if want := fmt.Sprintf("tls://rel-engine-%s-%d.rel-engine-%s.ci.svc:1234", name, i, name); b != want {
				t.Errorf("tier %s backend %d = %q, want %q", name, i, b, want)
			}
		}
	}
	if cfg.MetricsListen == "" || cfg.AdminSocket == "" || cfg.BackendTLS == nil {
		t.Errorf("gateway.yaml lacks metrics, admin socket or backendTLS: %+v", cfg)
	}

	for _, ss := range m.statefulSets {
		tier := ss.Spec.Template.Labels["pinline.dev/tier"]
		pod := ss.Spec.Template.Spec
		if int(*ss.Spec.Replicas) != wantEngines[tier] {
			t.Errorf("%s: %d replicas, want %d", ss.Name, *ss.Spec.Replicas, wantEngines[tier])
		}
		if img := pod.Containers[0].Image; !strings.Contains(img, "@sha256:") {
			t.Errorf("%s: engine image %q not pinned by digest", ss.Name, img)
		}
		if len(ss.Spec.VolumeClaimTemplates) != 1 || !slices.ContainsFunc(pod.Containers[0].VolumeMounts, func(v corev1.VolumeMount) bool {
			return v.Name == "state" && v.MountPath == "/var/lib/dagger"
		}) {
			t.Errorf("%s: engine state is not on a PVC", ss.Name)
		}
		if pod.NodeSelector["pinline.dev/tier"] != tier || len(pod.Tolerations) != 1 || pod.Tolerations[0].Value != tier {
			t.Errorf("%s: node selection %v tolerations %v", ss.Name, pod.NodeSelector, pod.Tolerations)
		}
		if !slices.Contains(pod.Containers[0].Args, "--tlscacert=/etc/dagger/tls/ca.crt") {
			t.Errorf("%s: engine args %v lack its mTLS listener", ss.Name, pod.Containers[0].Args)
		}
		var np *networkingv1.NetworkPolicy
		for i := range m.policies {
			if m.policies[i].Spec.PodSelector.MatchLabels["pinline.dev/tier"] == tier {
				np = &m.policies[i]
			}
		}
		if np == nil {
			t.Fatalf("%s: no NetworkPolicy selects tier %s", ss.Name, tier)
		}
		// Ingress: only the gateway's pods.
		if len(np.Spec.Ingress) != 1 || len(np.Spec.Ingress[0].From) != 1 {
			t.Fatalf("%s: ingress %+v", np.Name, np.Spec.Ingress)
		}
		from := np.Spec.Ingress[0].From[0]
		if from.IPBlock != nil || from.NamespaceSelector != nil || from.PodSelector == nil {
			t.Errorf("%s: ingress from %+v, want the gateway pods only", np.Name, from)
		} else {
			for k, v := range from.PodSelector.MatchLabels {
				if gwLabels[k] != v {
					t.Errorf("%s: ingress selector %v does not select the gateway (%v)", np.Name, from.PodSelector.MatchLabels, gwLabels)
				}
			}
		}
		// Egress: tasks never reach metadata/link-local or the control plane.
		if len(np.Spec.Egress) != 1 || len(np.Spec.Egress[0].To) != 1 || np.Spec.Egress[0].To[0].IPBlock == nil {
			t.Fatalf("%s: egress %+v", np.Name, np.Spec.Egress)
		}
		except := np.Spec.Egress[0].To[0].IPBlock.Except
		for _, c := range []string{"169.254.0.0/16", "10.96.0.1/32", "192.168.0.0/24"} {
			if !slices.Contains(except, c) {
				t.Errorf("%s: egress does not exclude %s (%v)", np.Name, c, except)
			}
		}
		if !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress) || !slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress) {
			t.Errorf("%s: policy types %v", np.Name, np.Spec.PolicyTypes)
		}
		found := false
		for _, p := range m.pdbs {
			if p.Spec.Selector.MatchLabels["pinline.dev/tier"] == tier && p.Spec.MaxUnavailable != nil {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no PodDisruptionBudget", ss.Name)
		}
	}
}

func TestChartRefusesBadValues(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"engine image without digest", []string{"--set", "engine.image.digest=latest"}, "engine.image.digest must be sha256"},
		{"one gateway replica", []string{"--set", "gateway.replicas=1"}, "gateway.replicas must be at least 2"},
		{"bad tier name", []string{"--set", "tiers[0].name=Trusted"}, "must match"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := render(t, tc.args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("render: %v, want a failure naming %q", err, tc.want)
			}
		})
	}
	// Defaults name no image: the chart refuses rather than pulling a tag.
	if _, err := helm(t, "template", "rel", chart, "--kube-version", "1.31.0"); err == nil || !strings.Contains(err.Error(), "image.repository is required") {
		t.Errorf("render with defaults: %v, want a refusal naming the image", err)
	}
}
