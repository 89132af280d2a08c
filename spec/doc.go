// Package spec parses and validates pinline.yaml pipeline specs, keeping the
// file position of every node so that errors and policy findings point into
// the file.
package spec
