package cli

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/configfile"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/spf13/pflag"

	"github.com/pinline/pinline/oci"
)

// registryOptions is where registry credentials come from: the operator's
// docker config file (--registry-config, $DOCKER_CONFIG/config.json, or
// ~/.docker/config.json), never the repository. Anonymous when none exists.
type registryOptions struct {
	Config string
}

func (o *registryOptions) AddFlags(f *pflag.FlagSet) {
	f.StringVar(&o.Config, "registry-config", "", "operator's docker config.json with registry credentials (default $DOCKER_CONFIG/config.json, then ~/.docker/config.json; none: anonymous)")
}

// keychain loads the docker config. An explicitly named file that does not
// exist or does not parse is bad input; a default one that does not exist
// means anonymous access.
func (o *registryOptions) keychain(s *streams) (authn.Keychain, error) {
	path, explicit := o.Config, o.Config != ""
	if !explicit {
		if d, ok := EnvDockerConfig.Lookup(s.env); ok && d != "" {
			path = filepath.Join(d, config.ConfigFileName)
		} else if home, ok := s.env("HOME"); ok && home != "" {
			path = filepath.Join(home, ".docker", config.ConfigFileName)
		}
	}
	if path == "" {
		return authn.NewMultiKeychain(), nil
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) && !explicit {
		return authn.NewMultiKeychain(), nil
	}
	if err != nil {
		return nil, usageErr(fmt.Errorf("registry config: %w", err))
	}
	defer f.Close()
	cf, err := config.LoadFromReader(f)
	if err != nil {
		return nil, usageErr(fmt.Errorf("registry config %s: %w", path, err))
	}
	cf.Filename = path
	return dockerKeychain{cf}, nil
}

// dockerKeychain resolves credentials from one loaded docker config
// (credential helpers included), as authn.DefaultKeychain does, without
// reading the process environment.
type dockerKeychain struct{ cf *configfile.ConfigFile }

func (k dockerKeychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	for _, key := range []string{r.String(), r.RegistryStr()} {
		cfg, err := k.cf.GetAuthConfig(key)
		if err != nil {
			return nil, err
		}
		if cfg.Username != "" || cfg.Password != "" || cfg.Auth != "" || cfg.IdentityToken != "" || cfg.RegistryToken != "" {
			return authn.FromConfig(authn.AuthConfig{Username: cfg.Username, Password: cfg.Password, Auth: cfg.Auth,
				IdentityToken: cfg.IdentityToken, RegistryToken: cfg.RegistryToken}), nil
		}
	}
	return authn.Anonymous, nil
}

func (o *registryOptions) ociOptions(s *streams) (oci.Options, error) {
	kc, err := o.keychain(s)
	if err != nil {
		return oci.Options{}, err
	}
	return oci.Options{Keychain: kc}, nil
}

// keychainAuth adapts a keychain to pipeline.Registry.Auth: the user name
// and password (or token) the engine pushes with.
func keychainAuth(kc authn.Keychain) func(host string) (string, string, bool, error) {
	return func(host string) (string, string, bool, error) {
		reg, err := name.NewRegistry(host, name.StrictValidation)
		if err != nil {
			return "", "", false, err
		}
		a, err := kc.Resolve(reg)
		if err != nil || a == authn.Anonymous {
			return "", "", false, err
		}
		cfg, err := a.Authorization()
		if err != nil {
			return "", "", false, err
		}
		user, pass := cfg.Username, cfg.Password
		if user == "" && pass == "" && cfg.Auth != "" {
			b, err := base64.StdEncoding.DecodeString(cfg.Auth)
			if err != nil {
				return "", "", false, fmt.Errorf("registry config auth for %s: %w", host, err)
			}
			user, pass, _ = strings.Cut(string(b), ":")
		}
		if pass == "" && cfg.IdentityToken != "" {
			user, pass = "<token>", cfg.IdentityToken
		}
		if pass == "" && cfg.RegistryToken != "" {
			pass = cfg.RegistryToken
		}
		return user, pass, pass != "", nil
	}
}
