package light

import (
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/pinline/pinline/pin"
)

// pinOptions are the flags of `pinline pin`.
type pinOptions struct {
	check, diff, verify, offline bool
	minAge                       string
}

func (o *pinOptions) AddFlags(fs *pflag.FlagSet) {
	fs.BoolVar(&o.check, "check", false, "exit 1 when something would change; write nothing")
	fs.BoolVar(&o.diff, "diff", false, "print a unified diff of the changes; write nothing")
	fs.BoolVar(&o.offline, "offline", false, "with --check: list unpinned entries without resolving them (no network; for commit hooks)")
	fs.BoolVar(&o.verify, "verify", false, "re-resolve existing pins; exit 1 when a pin no longer matches (moved or rewritten tag, moved release tag, missing ref)")
	fs.StringVar(&o.minAge, "min-age", "", "cooldown: never pin a commit or image younger than this (7d, 2w, 36h); the age is reported")
}

func newPinCmd(s *streams) *cobra.Command {
	o := &pinOptions{}
	c := &cobra.Command{
		Use:   "pin [PATH...]",
		Short: "Pin image tags to digests and module refs to commits, in place",
		Long: `Resolve image tags to manifest digests (registry, docker config auth) and
remote module refs to commits (git ls-remote), and write the pins into
pinline.yaml, dagger.lock, dagger.json, dagger-module.toml, dagger.toml and Dagger
module source, keeping
formatting and comments. Already pinned entries are not touched; --verify
re-resolves them. git's url.<base>.insteadOf configuration applies to module
sources.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPin(cmd, s, o, args)
		},
	}
	o.AddFlags(c.Flags())
	return c
}

func runPin(cmd *cobra.Command, s *streams, o *pinOptions, args []string) error {
	if o.offline && !o.check {
		return usageErr(errors.New("--offline needs --check"))
	}
	if o.verify && (o.check || o.diff) {
		return usageErr(errors.New("--verify writes nothing and cannot be combined with --check or --diff"))
	}
	var minAge time.Duration
	if o.minAge != "" {
		var err error
		if minAge, err = pin.ParseAge(o.minAge); err != nil {
			return usageErr(fmt.Errorf("--min-age: %w", err))
		}
		if o.verify || o.offline {
			return usageErr(errors.New("--min-age applies to new pins and cannot be combined with --verify or --offline"))
		}
	}
	root, err := os.Getwd()
	if err != nil {
		return opErr(err)
	}
	rep, err := pin.Run(cmd.Context(), pin.Options{Root: root, Paths: args, Check: o.check, Offline: o.offline, Diff: o.diff,
		Verify: o.verify, Out: s.out, MinAge: minAge})
	if err != nil {
		return err // pin classes its errors: input → 2, network → 3
	}
	if !o.diff {
		printPinReport(s.out, rep, o)
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(s.errOut, "%s:%d:%d: note: %s: %s\n", n.Pos.File, n.Pos.Line, n.Pos.Column, n.Ref, n.Reason)
	}
	switch {
	case o.verify && rep.Failed():
		return silentExit(ExitDenied)
	case o.check && len(rep.Changes) > 0:
		return silentExit(ExitDenied)
	}
	return nil
}

func printPinReport(w io.Writer, rep *pin.Report, o *pinOptions) {
	verb := "pinned"
	if o.check {
		verb = "unpinned"
	}
	for _, c := range rep.Changes {
		if c.Pin == "" {
			fmt.Fprintf(w, "%s:%d:%d: %s %s %s\n", c.Pos.File, c.Pos.Line, c.Pos.Column, verb, c.Kind, c.Ref)
			continue
		}
		age := ""
		if c.Age != "" {
			age = " (" + c.Age + " old)"
		}
		fmt.Fprintf(w, "%s:%d:%d: %s %s %s -> %s%s\n", c.Pos.File, c.Pos.Line, c.Pos.Column, verb, c.Kind, c.Ref, c.Pin, age)
	}
	for _, f := range rep.Findings {
		fmt.Fprintf(w, "%s:%d:%d: %s %s %s pinned %s", f.Pos.File, f.Pos.Line, f.Pos.Column, f.Status, f.Kind, f.Ref, f.Pinned)
		if f.Current != "" && f.Current != f.Pinned {
			fmt.Fprintf(w, " now %s", f.Current)
		}
		if f.Detail != "" {
			fmt.Fprintf(w, " (%s)", f.Detail)
		}
		fmt.Fprintln(w)
	}
	if !o.verify && len(rep.Changes) == 0 {
		fmt.Fprintln(w, "nothing to pin")
	}
}
