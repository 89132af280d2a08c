package policy

// A compact binary form of compiled Rego modules, for precompiled.bin:
// decoding it is a small fraction of parsing and compiling the sources
// (OPA's own JSON form of the AST decodes slower than the sources parse).
// It covers the node types the compiler leaves in a module; encoding
// anything else is an error, so `go generate` fails instead of writing a
// file that would lose something. Comments and annotations are not kept
// (the compiler has already rewritten rego.metadata calls, and nothing
// evaluates them); locations are kept as file, row and column.
//
// The encoder (astencode.go, run by go generate) and the decoder
// (astdecode.go, run by every Load) mirror each other field by field: the
// order of one is the format of the other. They stay two plain walkers
// rather than one generic one because the decoder is on the gate's start-up
// path (BenchmarkLoad); TestPrecompiledKeepsLocations and
// TestPrecompiledMatchesCompile hold the pair to a lossless round trip.

// Node tags.
const (
	tagNil byte = iota
	tagNull
	tagFalse
	tagTrue
	tagNumber
	tagString
	tagVar
	tagRef
	tagArray
	tagObject
	tagSet
	tagArrayCompr
	tagObjectCompr
	tagSetCompr
	tagCall
	// Expr.Terms shapes.
	tagTerm
	tagTerms
	tagSomeDecl
	tagEvery
)
