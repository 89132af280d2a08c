package cli

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/pinline/pinline/internal/testenv"
)

// From inside a task container of tier untrusted (the gateway's PR engine,
// started with PINLINE_ENGINE_ISOLATE=1 by hack/setup.d/50-gateway-engines.sh),
// connecting to host listeners through the bridge's host address (a stand-in
// control plane bound there, the gateway's port) and to the cloud metadata
// address fails, while a connection inside the container works (the probe
// itself is sound). The stand-in listener counts what reached it: nothing.
func TestUntrustedTaskCannotReachControlPlane(t *testing.T) {
	t.Parallel()
	env := testenv.RequireAll(t, "hack/setup.d/50-gateway-engines.sh (PINLINE_ENGINE_ISOLATE=1 engine)", "PINLINE_GW_UNTRUSTED_BRIDGE_IP")
	bridge := env["PINLINE_GW_UNTRUSTED_BRIDGE_IP"]
	f := startGatewayFixture(t)
	// A first task brings the engine's bridge (and its host address) up.
	warm := f.spec(t, fmt.Sprintf("version: 1\nname: netwarm\nimages: {bb: %q}\ntasks:\n  warm: {image: bb, run: [\"true\"], env: {N: %q}}\n", f.busybox, hexNonce(t)))
	if code, out, errOut := f.run(t, "pr", warm); code != 0 {
		t.Fatalf("warm-up run: exit %d\n%s\n%s", code, out, errOut)
	}
	// The stand-in control plane: a listener on the bridge's host address,
	// as a server bound to 0.0.0.0 would be reachable.
	l, err := net.Listen("tcp", net.JoinHostPort(bridge, "0"))
	if err != nil {
		t.Fatalf("listen on the bridge address %s: %v", bridge, err)
	}
	defer l.Close()
	var reached atomic.Int32
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			reached.Add(1)
			c.Close()
		}
	}()
	_, cpPort, _ := net.SplitHostPort(l.Addr().String())
	_, gwPort, _ := net.SplitHostPort(f.addr)
	probe := func(name, host, port string) string {
		return fmt.Sprintf(`if nc -w 3 %s %s </dev/null >/dev/null 2>&1; then echo "%s=open"; else echo "%s=closed"; fi; `, host, port, name, name)
	}
	script := `(nc -l -p 18080 </dev/null >/dev/null 2>&1 &) ; sleep 0.5; ` +
		probe("control", "127.0.0.1", "18080") +
		probe("standin", bridge, cpPort) +
		probe("gateway", bridge, gwPort) +
		probe("dns-tcp-other", bridge, "22") +
		probe("metadata", "169.254.169.254", "80")
	sp := f.spec(t, fmt.Sprintf("version: 1\nname: netreach\nimages: {bb: %q}\ntasks:\n  probe:\n    image: bb\n    env: {N: %q}\n    run: [sh, -c, %q]\n",
		f.busybox, hexNonce(t), script))
	code, out, errOut := f.run(t, "pr", sp)
	if code != 0 {
		t.Fatalf("probe run: exit %d\n%s\n%s", code, out, errOut)
	}
	logs, _ := filepath.Glob(filepath.Join(filepath.Dir(sp), ".pinline", "runs", "*", "logs", "probe.log"))
	if len(logs) != 1 {
		t.Fatalf("probe logs %v", logs)
	}
	b, err := os.ReadFile(logs[0])
	if err != nil {
		t.Fatal(err)
	}
	log := string(b)
	t.Logf("probe (bridge %s):\n%s", bridge, log)
	if !strings.Contains(log, "control=open") {
		t.Fatalf("the probe cannot connect even inside its container: the test proves nothing\n%s", log)
	}
	for _, name := range []string{"standin", "gateway", "dns-tcp-other", "metadata"} {
		if !strings.Contains(log, name+"=closed") {
			t.Errorf("%s reachable from an untrusted task:\n%s", name, log)
		}
	}
	if n := reached.Load(); n != 0 {
		t.Errorf("%d connection(s) from the task reached the stand-in control plane", n)
	}
}
