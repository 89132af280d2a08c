package serve

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// finished returns r's run directory when r is in a final state; a run
// still queued or running has no files to serve (409).
func (s *Server) finished(w http.ResponseWriter, req *http.Request, r *run) (string, bool) {
	s.mu.Lock()
	st := r.status.State
	s.mu.Unlock()
	if !Final(st) {
		s.refuse(w, infoOf(req), http.StatusConflict, "run-not-finished", fmt.Sprintf("run %s is %s; its files are served once it has finished", r.status.ID, st))
		return "", false
	}
	dir := filepath.Join(runsDir(s.cfg.Store), r.status.ID)
	if _, err := os.Lstat(dir); err != nil {
		s.refuse(w, infoOf(req), http.StatusNotFound, "no-files", fmt.Sprintf("run %s has no run directory (it never started)", r.status.ID))
		return "", false
	}
	return dir, true
}

func (s *Server) handleFiles(w http.ResponseWriter, req *http.Request) {
	r := s.lookup(w, req)
	if r == nil {
		return
	}
	dir, ok := s.finished(w, req, r)
	if !ok {
		return
	}
	files, err := listFiles(dir)
	if err != nil {
		s.refuse(w, infoOf(req), http.StatusInternalServerError, "internal", err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"files": files})
}

func (s *Server) handleFile(w http.ResponseWriter, req *http.Request) {
	r := s.lookup(w, req)
	if r == nil {
		return
	}
	p := req.PathValue("path")
	if !validFilePath(p) {
		s.refuse(w, infoOf(req), http.StatusBadRequest, "bad-path", fmt.Sprintf("%q is not a clean relative path of the run directory", p))
		return
	}
	dir, ok := s.finished(w, req, r)
	if !ok {
		return
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		s.refuse(w, infoOf(req), http.StatusInternalServerError, "internal", err.Error())
		return
	}
	defer root.Close()
	// os.Root: no path or symlink leads out of the run directory.
	fi, err := root.Lstat(p)
	if err != nil || !fi.Mode().IsRegular() || isHidden(p) {
		s.refuse(w, infoOf(req), http.StatusNotFound, "no-such-file", fmt.Sprintf("run %s has no file %s", r.status.ID, p))
		return
	}
	f, err := root.Open(p)
	if err != nil {
		s.refuse(w, infoOf(req), http.StatusNotFound, "no-such-file", fmt.Sprintf("run %s has no file %s", r.status.ID, p))
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Length", fmt.Sprint(fi.Size()))
	w.WriteHeader(http.StatusOK)
	_, _ = io.Copy(w, io.LimitReader(f, fi.Size()))
}

// validFilePath accepts slash-separated relative paths without dot
// segments, empty segments, backslashes or NUL.
func validFilePath(p string) bool {
	if p == "" || len(p) > 4096 || strings.ContainsAny(p, "\\\x00") || path.IsAbs(p) || path.Clean(p) != p {
		return false
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "" || seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

// isHidden: files the server keeps beside a record but never serves (a
// provenance moved away after an interrupted run).
func isHidden(p string) bool { return strings.HasSuffix(p, ".unsigned-interrupted") }

// listFiles lists the regular files of a run directory with their
// digests (symlinks a task exported are neither followed nor listed).
func listFiles(dir string) ([]FileEntry, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	out := []FileEntry{}
	err = fs.WalkDir(root.FS(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() || isHidden(p) {
			return nil
		}
		f, err := root.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		h := sha256.New()
		n, err := io.Copy(h, f)
		if err != nil {
			return err
		}
		out = append(out, FileEntry{Path: p, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))})
		return nil
	})
	return out, err
}
