package attest

// Fast path of parseStatement (see fastparse.go for the contract): it
// reads the members verification uses, validates and skips the rest, and
// returns ok=false for anything encoding/json might treat differently
// (case-insensitive or escaped member names, duplicates, null, type
// mismatches), leaving that to encoding/json.

var (
	stmtMembers   = []string{"_type", "subject", "predicateType", "predicate"}
	subjMembers   = []string{"name", "digest"}
	predMembers   = []string{"buildDefinition", "runDetails", "builder", "invocation"}
	invMembers    = []string{"configSource", "environment"}
	envMembers    = []string{"github_ref"}
	bdMembers     = []string{"buildType", "externalParameters", "internalParameters"}
	intMembers    = []string{"gateway"}
	gwMembers     = []string{"identity", "cacheMode"}
	extMembers    = []string{"source", "tier", "workflow"}
	wfMembers     = []string{"ref", "repository", "path"}
	uriMembers    = []string{"uri"}
	rdMembers     = []string{"builder"}
	idMembers     = []string{"id"}
	digestMembers = []string{"sha256", "sha384", "sha512", "gitCommit"}
)

func fastStatement(payload []byte) (*statementDoc, bool) {
	s := jsonScan{b: payload}
	st := &statementDoc{}
	var seen [4]bool
	ok := s.object(func(k []byte) bool {
		m := member(k, stmtMembers)
		switch {
		case m == -1:
			return s.skip(1)
		case m < 0 || seen[m]:
			return false
		}
		seen[m] = true
		switch m {
		case 0:
			return s.str(&st.Type)
		case 1:
			return s.subjects(st)
		case 2:
			return s.str(&st.PredicateType)
		default:
			return s.predicate(&st.Predicate)
		}
	})
	if s.ws(); !ok || s.i != len(s.b) {
		return nil, false
	}
	return st, true
}

// str reads a plain string into dst.
func (s *jsonScan) str(dst *string) bool {
	v, ok := s.plain()
	*dst = string(v)
	return ok
}

// fields reads an object whose known members (names) are read by f and
// whose other members are skipped.
func (s *jsonScan) fields(names []string, f func(m int) bool) bool {
	var seen uint32
	return s.object(func(k []byte) bool {
		m := member(k, names)
		switch {
		case m == -1:
			return s.skip(1)
		case m < 0 || seen&(1<<m) != 0:
			return false
		}
		seen |= 1 << m
		return f(m)
	})
}

func (s *jsonScan) subjects(st *statementDoc) bool {
	st.Subject = make([]statementSubj, 0, 2)
	return s.array(func() bool {
		var subj statementSubj
		if !s.fields(subjMembers, func(m int) bool {
			if m == 0 {
				return s.str(&subj.Name)
			}
			return s.digest(&subj)
		}) {
			return false
		}
		st.Subject = append(st.Subject, subj)
		return true
	})
}

// digest reads a digest map. Only the entries of DigestAlgorithms are kept
// (the ones verification reads); every other value must still be a string.
func (s *jsonScan) digest(subj *statementSubj) bool {
	var seen [4]bool
	subj.Digest = map[string]string{}
	return s.object(func(k []byte) bool {
		if m := member(k, digestMembers); m >= 0 {
			if seen[m] {
				return false
			}
			seen[m] = true
			var v string
			ok := s.str(&v)
			subj.Digest[digestMembers[m]] = v
			return ok
		} else if m == -2 {
			return false
		}
		return s.peek() == '"' && s.skipString()
	})
}

func (s *jsonScan) predicate(p *provenanceDoc) bool {
	return s.fields(predMembers, func(m int) bool {
		if m == 0 {
			bd := &p.BuildDefinition
			return s.fields(bdMembers, func(m int) bool {
				switch m {
				case 0:
					return s.str(&bd.BuildType)
				case 2:
					return s.internal(p)
				}
				ext := &bd.ExternalParameters
				return s.fields(extMembers, func(m int) bool {
					switch m {
					case 0:
						return s.fields(uriMembers, func(int) bool { return s.str(&ext.Source.URI) })
					case 1:
						return s.str(&ext.Tier)
					}
					wf := &ext.Workflow
					return s.fields(wfMembers, func(m int) bool {
						return s.str([]*string{&wf.Ref, &wf.Repository, &wf.Path}[m])
					})
				})
			})
		}
		switch m {
		case 1:
			return s.fields(rdMembers, func(int) bool {
				return s.fields(idMembers, func(int) bool { return s.str(&p.RunDetails.Builder.ID) })
			})
		case 2:
			return s.fields(idMembers, func(int) bool { return s.str(&p.Builder.ID) })
		}
		inv := &p.Invocation
		return s.fields(invMembers, func(m int) bool {
			if m == 0 {
				return s.fields(uriMembers, func(int) bool { return s.str(&inv.ConfigSource.URI) })
			}
			return s.fields(envMembers, func(int) bool { return s.str(&inv.Environment.GitHubRef) })
		})
	})
}

// internal reads buildDefinition.internalParameters: only the gateway's
// identity and cacheMode (a null gateway is left to encoding/json).
func (s *jsonScan) internal(p *provenanceDoc) bool {
	ip := &p.BuildDefinition.InternalParameters
	return s.fields(intMembers, func(int) bool {
		gw := &gatewayDoc{}
		ip.Gateway = gw
		return s.fields(gwMembers, func(m int) bool {
			if m == 0 {
				return s.str(&gw.Identity)
			}
			return s.str(&gw.CacheMode)
		})
	})
}
