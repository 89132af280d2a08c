// Package engineconfig describes how pinline reaches a Dagger engine: the
// client engine.json (unix socket, loopback tcp, or mTLS through the pinline
// gateway), the gateway's own configuration with its trust tiers and their
// cache scopes, and the single place where a *tls.Config is built.
//
// The directory is named engine-config; import it with an alias:
//
//	engineconfig "github.com/pinline/pinline/engine-config"
//
// It imports only the standard library.
package engineconfig
