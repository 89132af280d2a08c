package light

import "strings"

// isCobraUsage recognises the errors cobra returns for unknown commands and
// wrong argument counts; cobra has no typed errors for them.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "accepts ", "requires at least", "requires at most", "requires exactly", "received ", "invalid argument", "unknown flag", "unknown shorthand flag", "flag needs an argument", "required flag"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}
