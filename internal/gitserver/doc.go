// Package gitserver serves bare git repositories over smart HTTP
// (`git http-backend` behind net/http/cgi) on a loopback address, for tests
// and benchmarks that need real remote Dagger module references.
//
// Dagger v0.19.10 drops the port of http:// module references, so a server
// for module refs listens on 127.0.0.1:80 (Start with that address).
package gitserver
