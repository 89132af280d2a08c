package inventory

import (
	"slices"

	"github.com/pinline/pinline/spec"
)

// AddSpec adds a spec that the walk did not find (pinline run -f
// ci/build.yaml: only files named pinline.yaml are collected) with its
// image references, so that the gate sees the spec being run. file is its
// path relative to the inventory root. A spec already collected at file is
// left as it is.
func (inv *Inventory) AddSpec(file string, s *spec.Spec) error {
	if slices.ContainsFunc(inv.Specs, func(f SpecFile) bool { return f.Path == file }) {
		return nil
	}
	imgs, err := specImages(file, s)
	if err != nil {
		return err
	}
	inv.Specs = append(inv.Specs, SpecFile{Path: file, Spec: s})
	inv.Images = append(inv.Images, imgs...)
	if !slices.Contains(inv.Files, file) {
		inv.Files = append(inv.Files, file)
	}
	sortInventory(inv)
	return nil
}
