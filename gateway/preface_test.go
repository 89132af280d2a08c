package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	engineconfig "github.com/pinline/pinline/engine-config"
)

func TestParseClientHello(t *testing.T) {
	t.Parallel()
	tests := []struct {
		line    string
		want    ClientHello
		wantErr string
	}{
		{line: `{"pinline-client":1}`, want: ClientHello{Version: 1}},
		{line: `{"pinline-client":1,"tier":"trusted"}`, want: ClientHello{Version: 1, Tier: "trusted"}},
		{line: `{"pinline-client":1,"tier":"trusted","probe":true}`, want: ClientHello{Version: 1, Tier: "trusted", Probe: true}},
		{line: `{"pinline-client":1,"probe":"yes"}`, wantErr: "cannot unmarshal"},
		{line: `{"pinline-client":1,"session":"0123456789abcdef0123456789abcdef"}`, want: ClientHello{Version: 1, Session: "0123456789abcdef0123456789abcdef"}},
		{line: `{"pinline-client":1,"session":"0123456789abcdef0123456789abcdef","engine":"pr-12"}`,
			want: ClientHello{Version: 1, Session: "0123456789abcdef0123456789abcdef", Engine: "pr-12"}},
		{line: `{"pinline-client":1,"session":"0123456789ABCDEF0123456789abcdef"}`, wantErr: "lowercase hex"},
		{line: `{"pinline-client":1,"session":"0123"}`, wantErr: "lowercase hex"},
		{line: `{"pinline-client":1,"session":"0123456789abcdef0123456789abcde\n"}`, wantErr: "lowercase hex"},
		{line: `{"pinline-client":1,"engine":"pr-1"}`, wantErr: "needs a session"},
		{line: `{"pinline-client":1,"session":"0123456789abcdef0123456789abcdef","engine":"unix:///run/x.sock"}`, wantErr: "engine id"},
		{line: `{"pinline-client":1,"probe":true,"session":"0123456789abcdef0123456789abcdef"}`, wantErr: "probe carries no session"},
		{line: `{"pinline-client":2}`, wantErr: "version 2"},
		{line: `{}`, wantErr: "version 0"},
		{line: `{"pinline-client":1,"tier":"../etc"}`, wantErr: "not a tier name"},
		{line: `{"pinline-client":1,"admin":true}`, wantErr: "unknown field"},
		{line: `{"pinline-client":1} {"pinline-client":1}`, wantErr: "trailing data"},
		{line: `{"pinline-client":1}}`, wantErr: "trailing data"},
		{line: `{"pinline-client":1}]`, wantErr: "trailing data"},
		{line: `PRI * HTTP/2.0`, wantErr: "invalid character"},
		{line: ``, wantErr: "EOF"},
	}
	for _, tc := range tests {
		got, err := ParseClientHello([]byte(tc.line))
		if tc.wantErr != "" {
			if err == nil || !errors.Is(err, ErrPreface) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: err = %v, want ErrPreface containing %q", tc.line, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.line, err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.line, diff)
		}
	}
}

func TestParseServerHello(t *testing.T) {
	t.Parallel()
	ok := `{"pinline-gateway":1,"tier":"t","identity":"cn:x","builderId":"b","cacheMode":"strong"}`
	if _, err := ParseServerHello([]byte(ok)); err != nil {
		t.Errorf("valid: %v", err)
	}
	ref := `{"pinline-gateway":1,"error":"refused","reason":"tier-above-certificate"}`
	if h, err := ParseServerHello([]byte(ref)); err != nil || h.Reason != "tier-above-certificate" {
		t.Errorf("refusal: %+v %v", h, err)
	}
	for _, bad := range []string{`{"pinline-gateway":1,"tier":"t"}`, `{"pinline-gateway":0,"tier":"t","identity":"i","builderId":"b"}`, `{"pinline-gateway":1,"x":1}`} {
		if _, err := ParseServerHello([]byte(bad)); !errors.Is(err, ErrPreface) {
			t.Errorf("%s: err = %v, want ErrPreface", bad, err)
		}
	}
}

func TestReadLine(t *testing.T) {
	t.Parallel()
	r := bytes.NewReader([]byte("{\"a\":1}\nREST"))
	line, err := readLine(r)
	if err != nil || string(line) != `{"a":1}` {
		t.Fatalf("line %q %v", line, err)
	}
	if r.Len() != 4 {
		t.Errorf("readLine consumed past the newline: %d bytes left, want 4", r.Len())
	}
	if _, err := readLine(bytes.NewReader(bytes.Repeat([]byte("a"), MaxPrefaceLine+10))); !errors.Is(err, ErrPreface) {
		t.Errorf("long line: %v", err)
	}
	if _, err := readLine(bytes.NewReader([]byte("no newline"))); !errors.Is(err, ErrPreface) {
		t.Errorf("unterminated: %v", err)
	}
}

func FuzzParseClientHello(f *testing.F) {
	for _, s := range []string{`{"pinline-client":1}`, `{"pinline-client":1,"tier":"trusted"}`, `{"pinline-client":1,"tier":""}`, `{"pinline-client":1,"probe":true}`, `{`, `null`, `[]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		h, err := ParseClientHello(line)
		if err != nil {
			if !errors.Is(err, ErrPreface) {
				t.Fatalf("error without ErrPreface: %v", err)
			}
			return
		}
		// Anything accepted must survive a round trip unchanged.
		b, err := json.Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		h2, err := ParseClientHello(b)
		if err != nil || h2 != h {
			t.Fatalf("round trip %q: %+v vs %+v (%v)", b, h, h2, err)
		}
		if h.Tier != "" && !engineconfig.ValidTierName(h.Tier) {
			t.Fatalf("accepted bad tier %q", h.Tier)
		}
	})
}

func FuzzParseServerHello(f *testing.F) {
	for _, s := range []string{`{"pinline-gateway":1,"tier":"t","identity":"cn:x","builderId":"b"}`, `{"pinline-gateway":1,"error":"refused","reason":"x"}`, `{"pinline-gateway":1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		h, err := ParseServerHello(line)
		if err != nil {
			if !errors.Is(err, ErrPreface) {
				t.Fatalf("error without ErrPreface: %v", err)
			}
			return
		}
		if h.Error == "" && (h.Tier == "" || h.BuilderID == "") {
			t.Fatalf("accepted a success preface without tier/builder: %+v", h)
		}
	})
}
