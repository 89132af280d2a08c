package light

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/pinline/pinline/inventory"
)

// daggerUserConfig reads the user-level Dagger config the way Dagger finds
// it: $DAGGER_CONFIG, else $XDG_CONFIG_HOME/dagger/config.toml, else
// ~/.config/dagger/config.toml. A missing file is nil; $DAGGER_CONFIG
// naming a missing file is bad input.
func daggerUserConfig(s *streams) (*inventory.UserConfigFile, error) { return DaggerUserConfig(s.env) }

// DaggerUserConfig is daggerUserConfig for the full CLI, with env the
// process environment.
func DaggerUserConfig(env func(string) (string, bool)) (*inventory.UserConfigFile, error) {
	path, explicit := EnvDaggerConfig.Lookup(env)
	explicit = explicit && path != ""
	if !explicit {
		dir, ok := env("XDG_CONFIG_HOME")
		if !ok || dir == "" {
			home, ok := env("HOME")
			if !ok || home == "" {
				return nil, nil
			}
			dir = filepath.Join(home, ".config")
		}
		path = filepath.Join(dir, "dagger", "config.toml")
	}
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist) && !explicit:
		return nil, nil
	case errors.Is(err, fs.ErrNotExist):
		return nil, usageErr(fmt.Errorf("%s=%s: no such file", EnvDaggerConfig.Name, path))
	case err != nil:
		return nil, opErr(fmt.Errorf("read user-level Dagger config: %w", err))
	}
	return &inventory.UserConfigFile{Name: filepath.ToSlash(path), Data: data}, nil
}
