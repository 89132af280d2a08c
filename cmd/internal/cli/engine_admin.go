package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/pinline/pinline/gateway"
)

type engineAdminOptions struct {
	socket string
	json   bool
}

func newEngineAdminCmd(s *streams) *cobra.Command {
	o := &engineAdminOptions{}
	c := &cobra.Command{
		Use:   "admin --socket SOCK (backends | drain ENGINE | undrain ENGINE)",
		Short: "Operate a running gateway through its admin socket: engine state, drain, undrain",
		Long: `Talk to a running pinline gateway through its admin unix socket (the
gateway configuration's adminSocket).

  backends         every engine: tier, id, health, draining, open connections
  drain ENGINE     no new sessions on ENGINE (an id like "pr-1" or its
                   unix:// address); sessions already on it finish
  undrain ENGINE   ENGINE takes new sessions again

Draining is per gateway process: with several replicas, drain on each.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error { return runEngineAdmin(cmd.Context(), s, o, args) },
	}
	c.Flags().StringVar(&o.socket, "socket", "", "the gateway's admin socket")
	c.Flags().BoolVar(&o.json, "json", false, "print the engine states as JSON")
	_ = c.MarkFlagRequired("socket")
	return c
}

func runEngineAdmin(ctx context.Context, s *streams, o *engineAdminOptions, args []string) error {
	method, path := http.MethodGet, "/v1/backends"
	switch {
	case args[0] == "backends" && len(args) == 1:
	case (args[0] == "drain" || args[0] == "undrain") && len(args) == 2:
		method, path = http.MethodPost, "/v1/"+args[0]+"?engine="+url.QueryEscape(args[1])
	default:
		return usageErr(fmt.Errorf("admin: want backends, drain ENGINE or undrain ENGINE, got %q", strings.Join(args, " ")))
	}
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", o.socket)
		}}}
	req, err := http.NewRequestWithContext(ctx, method, "http://gateway"+path, nil)
	if err != nil {
		return usageErr(err)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return opErr(fmt.Errorf("admin socket %s: %w", o.socket, err))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return opErr(fmt.Errorf("admin socket %s: %w", o.socket, err))
	}
	if resp.StatusCode == http.StatusNotFound {
		return usageErr(fmt.Errorf("admin: %s", strings.TrimSpace(string(body))))
	}
	if resp.StatusCode != http.StatusOK {
		return opErr(fmt.Errorf("admin socket %s: HTTP %d: %s", o.socket, resp.StatusCode, strings.TrimSpace(string(body))))
	}
	var states []gateway.BackendState
	if err := json.Unmarshal(body, &states); err != nil {
		return opErr(fmt.Errorf("admin socket %s: %w", o.socket, err))
	}
	if o.json {
		enc := json.NewEncoder(s.out)
		enc.SetIndent("", "  ")
		return enc.Encode(states)
	}
	tw := tabwriter.NewWriter(s.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIER\tENGINE\tHEALTHY\tDRAINING\tCONNECTIONS")
	for _, b := range states {
		fmt.Fprintf(tw, "%s\t%s\t%v\t%v\t%d\n", b.Tier, b.Engine, b.Healthy, b.Draining, b.Active)
	}
	return tw.Flush()
}
