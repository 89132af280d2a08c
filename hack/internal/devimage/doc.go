// Package devimage is what the development registry (hack/devregistry) and
// the exec preset builder (hack/presets) share: the loopback registry
// address and its flag, reproducible single-platform images assembled
// from layers, and pushing them to get a digest-pinned reference.
//
// It is part of the test and CI tooling, not of pinline.
package devimage
