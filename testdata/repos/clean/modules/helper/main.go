// Helper has no container images of its own.
package main

import "strings"

type Helper struct{}

// Shout upper-cases a message.
func (h *Helper) Shout(msg string) string { return strings.ToUpper(msg) }
