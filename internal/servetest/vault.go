package servetest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

// Vault is a fake HashiCorp Vault transit secret engine on 127.0.0.1:
// the three endpoints sigstore's hashivault:// provider calls (read a key's
// public key, sign a digest, verify a signature) for ECDSA P-256 keys it
// generates itself. The private keys never leave this process (the test),
// as they never leave a real KMS. Requests without the token are refused.
type Vault struct {
	// Addr is the VAULT_ADDR of the fake (http://127.0.0.1:port).
	Addr  string
	Token string
	srv   *http.Server
	ln    net.Listener

	mu   sync.Mutex
	keys map[string]*ecdsa.PrivateKey
	// FailSign makes every sign request fail with a 500 (a KMS that
	// is reachable for the public key but errors while signing).
	FailSign atomic.Bool
	// Signs counts the signatures made.
	Signs atomic.Int64
}

// StartVault starts the fake with one P-256 key per name.
func StartVault(t testing.TB, names ...string) *Vault {
	t.Helper()
	v := &Vault{Token: "vault-token-" + randHex(t), keys: map[string]*ecdsa.PrivateKey{}}
	for _, n := range names {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		v.keys[n] = k
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	v.ln, v.Addr = ln, "http://"+ln.Addr().String()
	v.srv = &http.Server{Handler: http.HandlerFunc(v.serve)}
	go func() { _ = v.srv.Serve(ln) }()
	t.Cleanup(v.Close)
	return v
}

func randHex(t testing.TB) string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", b)
}

// Close stops the fake (a KMS that became unreachable).
func (v *Vault) Close() { _ = v.srv.Close() }

// Env is the environment that points sigstore's provider (and cosign's)
// at the fake.
func (v *Vault) Env() []string { return []string{"VAULT_ADDR=" + v.Addr, "VAULT_TOKEN=" + v.Token} }

// URI is the key reference of name.
func (v *Vault) URI(name string) string { return "hashivault://" + name }

// PublicPEM is name's public key as PEM.
func (v *Vault) PublicPEM(t testing.TB, name string) []byte {
	t.Helper()
	v.mu.Lock()
	k := v.keys[name]
	v.mu.Unlock()
	b, err := cryptoutils.MarshalPublicKeyToPEM(k.Public())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (v *Vault) serve(w http.ResponseWriter, r *http.Request) {
	if subtle.ConstantTimeCompare([]byte(r.Header.Get("X-Vault-Token")), []byte(v.Token)) != 1 {
		vaultError(w, http.StatusForbidden, "permission denied")
		return
	}
	// /v1/transit/{keys|sign|verify}/<name>[/sha2-256]
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/v1/transit/"), "/")
	if len(parts) < 2 {
		vaultError(w, http.StatusNotFound, "no handler for route")
		return
	}
	v.mu.Lock()
	k := v.keys[parts[1]]
	v.mu.Unlock()
	if k == nil {
		vaultError(w, http.StatusNotFound, "no such key")
		return
	}
	var body struct {
		Input     string `json:"input"`
		Prehashed bool   `json:"prehashed"`
		Signature string `json:"signature"`
	}
	if r.Method != http.MethodGet {
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&body); err != nil {
			vaultError(w, http.StatusBadRequest, err.Error())
			return
		}
	}
	digest := func() ([]byte, bool) {
		in, err := base64.StdEncoding.DecodeString(body.Input)
		if err != nil {
			return nil, false
		}
		if !body.Prehashed {
			s := sha256.Sum256(in)
			return s[:], true
		}
		return in, len(in) == crypto.SHA256.Size()
	}
	switch {
	case parts[0] == "keys" && r.Method == http.MethodGet && len(parts) == 2:
		pub, _ := cryptoutils.MarshalPublicKeyToPEM(k.Public())
		vaultData(w, map[string]any{"type": "ecdsa-p256", "latest_version": 1,
			"keys": map[string]any{"1": map[string]any{"name": "P-256", "public_key": string(pub)}}})
	case parts[0] == "sign" && len(parts) == 3 && parts[2] == "sha2-256":
		if v.FailSign.Load() {
			vaultError(w, http.StatusInternalServerError, "transit: signing backend unavailable")
			return
		}
		d, ok := digest()
		if !ok {
			vaultError(w, http.StatusBadRequest, "bad input")
			return
		}
		sig, err := ecdsa.SignASN1(rand.Reader, k, d)
		if err != nil {
			vaultError(w, http.StatusInternalServerError, err.Error())
			return
		}
		v.Signs.Add(1)
		vaultData(w, map[string]any{"signature": "vault:v1:" + base64.StdEncoding.EncodeToString(sig), "key_version": 1})
	case parts[0] == "verify" && len(parts) == 3 && parts[2] == "sha2-256":
		d, ok := digest()
		sig, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(body.Signature, "vault:v1:"))
		if !ok || err != nil {
			vaultError(w, http.StatusBadRequest, "bad input")
			return
		}
		vaultData(w, map[string]any{"valid": ecdsa.VerifyASN1(&k.PublicKey, d, sig)})
	default:
		vaultError(w, http.StatusNotFound, "no handler for route")
	}
}

func vaultData(w http.ResponseWriter, data map[string]any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"data": data})
}

func vaultError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []string{msg}})
}
