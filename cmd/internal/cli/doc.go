// Package cli is pinline's command line: cobra commands that read flags,
// environment and config files into option structs, call one library
// function each, render the result and map errors to exit codes.
// Only this package (and main) imports cobra; only main exits.
package cli
