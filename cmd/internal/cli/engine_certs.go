package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	engineconfig "github.com/pinline/pinline/engine-config"
)

type engineCertsOptions struct {
	out      string
	hosts    []string
	clients  []string
	validity time.Duration
	gateway  string
}

func (o *engineCertsOptions) AddFlags(c *cobra.Command) {
	c.Flags().StringVarP(&o.out, "out", "o", "pinline-certs", "directory to write the CA, gateway and client certificates to")
	c.Flags().StringSliceVar(&o.hosts, "host", nil, "extra gateway host name or IP (127.0.0.1 and localhost are always included)")
	c.Flags().StringArrayVar(&o.clients, "client", nil,
		"client certificate NAME:FIELD=VALUE[,FIELD=VALUE...]; fields cn, o, ou, dns, uri, spiffe (repeatable)\n"+
			"e.g. --client trusted:spiffe=spiffe://example.org/ci/main --client pr:cn=ci-pr,ou=contributors")
	c.Flags().DurationVar(&o.validity, "validity", 30*24*time.Hour, "validity of every certificate")
	c.Flags().StringVar(&o.gateway, "gateway", "127.0.0.1:8443", "gateway address written into each client's engine-<name>.json")
}

func newEngineCertsCmd(s *streams) *cobra.Command {
	o := &engineCertsOptions{}
	c := &cobra.Command{
		Use:   "certs [--client NAME:FIELD=VALUE,...]...",
		Short: "Create a development CA, a gateway certificate and client certificates (with engine-<name>.json)",
		Long: `Create a development PKI for the gateway: ca.crt/ca.key, gateway.crt/key for
127.0.0.1 and localhost (plus --host), and one <name>.crt/key and a client
engine-<name>.json per --client. Keys are written with mode 0600.
For development and tests only: production uses the organisation's PKI.`,
		Args: cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			clients, err := parseDevClients(o.clients)
			if err != nil {
				return usageErr(err)
			}
			files, err := engineconfig.WriteDevCerts(o.out, o.hosts, clients, time.Now(), o.validity)
			if err != nil {
				return err
			}
			for _, cl := range clients {
				p, err := writeClientEngineJSON(o.out, cl.Name, o.gateway)
				if err != nil {
					return opErr(err)
				}
				files = append(files, p)
			}
			for _, f := range files {
				fmt.Fprintln(s.out, f)
			}
			return nil
		},
	}
	o.AddFlags(c)
	return c
}

// parseDevClients parses --client NAME:FIELD=VALUE[,FIELD=VALUE...].
func parseDevClients(specs []string) ([]engineconfig.DevClient, error) {
	var out []engineconfig.DevClient
	for _, spec := range specs {
		name, rest, ok := strings.Cut(spec, ":")
		if !ok || name == "" || rest == "" {
			return nil, fmt.Errorf("--client %q: want NAME:FIELD=VALUE[,FIELD=VALUE...]", spec)
		}
		dc := engineconfig.DevClient{Name: name}
		for _, kv := range strings.Split(rest, ",") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || v == "" {
				return nil, fmt.Errorf("--client %q: %q is not FIELD=VALUE", spec, kv)
			}
			switch k {
			case "cn":
				dc.Spec.CN = v
			case "o":
				dc.Spec.O = append(dc.Spec.O, v)
			case "ou":
				dc.Spec.OU = append(dc.Spec.OU, v)
			case "dns":
				dc.Spec.DNS = append(dc.Spec.DNS, v)
			case "uri":
				dc.Spec.URIs = append(dc.Spec.URIs, v)
			case "spiffe":
				if !strings.HasPrefix(v, "spiffe://") {
					return nil, fmt.Errorf("--client %q: spiffe id %q must start with spiffe://", spec, v)
				}
				dc.Spec.URIs = append(dc.Spec.URIs, v)
			default:
				return nil, fmt.Errorf("--client %q: unknown field %q (valid: cn, o, ou, dns, uri, spiffe)", spec, k)
			}
		}
		if dc.Spec.CN == "" {
			dc.Spec.CN = name
		}
		out = append(out, dc)
	}
	return out, nil
}

func writeClientEngineJSON(dir, name, gw string) (string, error) {
	c := engineconfig.Client{Engine: engineconfig.ClientEngine{Address: "tcp://" + gw,
		TLS: &engineconfig.ClientTLS{CA: "ca.crt", Cert: name + ".crt", Key: name + ".key"}}}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, "engine-"+name+".json")
	return p, os.WriteFile(p, append(b, '\n'), 0o644)
}
