package spec

import "maps"

// EnvFor is the environment of one instance of a container task: the
// spec's env, overridden by the task's own, plus the instance's matrix
// values (a matrix variable never repeats a task env name). Call tasks have
// no environment: nil.
func (s *Spec) EnvFor(t *Task, in Instance) map[string]string {
	if t.Call != nil {
		return nil
	}
	if len(s.Env) == 0 && len(t.Env) == 0 && len(in.Values) == 0 {
		return t.Env
	}
	out := make(map[string]string, len(s.Env)+len(t.Env)+len(in.Values))
	maps.Copy(out, s.Env)
	maps.Copy(out, t.Env)
	for _, v := range in.Values {
		out[v.Name] = v.Value
	}
	return out
}

// ServiceImageRef is the image reference a service runs: its image
// resolved through Images.
func (s *Spec) ServiceImageRef(sv Service) string {
	if img, ok := s.Images[sv.Image]; ok {
		return img.Ref
	}
	return sv.Image
}
