package inventory

import (
	"slices"
	"strconv"
	"strings"
)

// srcFileInfo is what a Python or TypeScript file contributes to
// resolution across the files of its module: its module-level string
// constants and the from arguments naming constants it does not define.
type srcFileInfo struct {
	origin   string
	consts   map[string]goPkgConst
	deferred []srcDeferred
}

func (s *srcScan) fileInfo() *srcFileInfo {
	info := &srcFileInfo{origin: s.origin, consts: map[string]goPkgConst{}, deferred: s.deferred}
	for n, c := range s.consts {
		if c.ok {
			info.consts[n] = goPkgConst{value: c.value, pos: s.l.position(c.off)}
		}
	}
	return info
}

// resolveSrcModules resolves deferred Python and TypeScript from
// arguments against the constants of the other files of the same module
// source tree and language (a Python package imports them, a TypeScript
// project exports them). A name that two files define is ambiguous and
// stays unresolved.
func resolveSrcModules(files map[string]*srcFileInfo, owner func(string) string) (images []ImageRef, unresolved []Unresolved, used map[Position]bool) {
	used = map[Position]bool{}
	type key struct{ tree, origin string }
	consts := map[key]map[string]goPkgConst{}
	dup := map[key]map[string]bool{}
	names := mapKeys(files)
	slices.Sort(names)
	for _, file := range names {
		info := files[file]
		k := key{owner(file), info.origin}
		if consts[k] == nil {
			consts[k], dup[k] = map[string]goPkgConst{}, map[string]bool{}
		}
		for n, c := range info.consts {
			if _, seen := consts[k][n]; seen {
				dup[k][n] = true
			}
			consts[k][n] = c
		}
	}
	for _, file := range names {
		info := files[file]
		k := key{owner(file), info.origin}
		for _, d := range info.deferred {
			if d.expr != "" {
				if img, ok := resolveSrcExpr(d, info.origin, consts[k], dup[k], used); ok {
					images = append(images, img)
				} else {
					unresolved = append(unresolved, d.un)
				}
				continue
			}
			c, ok := consts[k][d.name]
			if ok && !dup[k][d.name] {
				img, err := newImageRef(d.un.Pos, info.origin, "const", d.name+" ("+c.pos.File+":"+strconv.Itoa(c.pos.Line)+")", c.value)
				if err == nil {
					lit := c.pos
					img.Literal = &lit
					used[c.pos] = true
					images = append(images, img)
					continue
				}
			}
			unresolved = append(unresolved, d.un)
		}
	}
	return images, unresolved, used
}

// resolveSrcExpr substitutes the names a deferred expression left marked
// with the module's constants: an image at the use, its Name listing each
// constant with the file and line it comes from (and the defaults the
// expression used). Any name still unknown or ambiguous leaves it
// unresolved.
func resolveSrcExpr(d srcDeferred, origin string, consts map[string]goPkgConst, dup map[string]bool, used map[Position]bool) (ImageRef, bool) {
	parts := strings.Split(d.expr, unknownMark)
	var b strings.Builder
	var names []string
	var from []Position
	for i, p := range parts {
		if i%2 == 0 {
			b.WriteString(p)
			continue
		}
		c, ok := consts[p]
		if !ok || dup[p] {
			return ImageRef{}, false
		}
		b.WriteString(c.value)
		names = append(names, p+" ("+c.pos.File+":"+strconv.Itoa(c.pos.Line)+")")
		from = append(from, c.pos)
	}
	if d.defaults != "" {
		names = append(names, d.defaults)
	}
	via := d.via
	if via == "" {
		via = "concat"
	}
	img, err := newImageRef(d.un.Pos, origin, via, strings.Join(slices.Compact(names), ", "), b.String())
	if err != nil {
		return ImageRef{}, false
	}
	for _, p := range from {
		used[p] = true
	}
	return img, true
}
