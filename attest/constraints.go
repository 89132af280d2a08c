package attest

import "strings"

// checkConstraints checks the provenance constraints against the payload
// (st; nil for a blob signature, which has none) and, for keyless
// evidence, against the certificate: both must agree.
func (o *VerifyOptions) checkConstraints(st *statementDoc, r *Result) error {
	if o.BuilderID == "" && o.SourceURI == "" && o.SourceRef == "" && o.Tier == "" && o.Identity == "" && o.CacheMode == "" && o.Policy == nil {
		return nil
	}
	var p provenanceDoc
	v02 := st != nil && st.PredicateType == PredicateSLSAProvenanceV02
	if st != nil && (st.PredicateType == PredicateSLSAProvenanceV1 || v02) {
		if st.predicateErr != nil {
			return r.fail("provenance", failed(ErrMalformedStatement, "predicate: %v", st.predicateErr))
		}
		p = st.Predicate
	}
	ext := &p.BuildDefinition.ExternalParameters
	if v02 {
		// SLSA v0.2: builder.id, invocation.configSource.uri
		// ("git+https://github.com/o/r@refs/tags/v1") and its ref
		// (invocation.environment.github_ref, else the URI's @ref).
		r.BuilderID = p.Builder.ID
		r.SourceURI = p.Invocation.ConfigSource.URI
		r.SourceRef = p.Invocation.Environment.GitHubRef
		if _, ref, ok := strings.Cut(trimScheme(r.SourceURI), "@"); ok {
			if r.SourceRef == "" {
				r.SourceRef = ref
			} else if ref != r.SourceRef && o.SourceRef != "" {
				return r.fail("sourceRef", failed(ErrSourceRef, "the provenance disagrees with itself: invocation.configSource.uri says ref %q, invocation.environment.github_ref %q", ref, r.SourceRef))
			}
		}
	} else {
		r.BuilderID = p.RunDetails.Builder.ID
		r.SourceURI = ext.Source.URI
		if r.SourceURI == "" {
			r.SourceURI = ext.Workflow.Repository
		}
		r.SourceRef = ext.Workflow.Ref
	}
	r.Tier = ext.Tier
	gw := p.BuildDefinition.InternalParameters.Gateway
	if gw != nil {
		r.Identity, r.CacheMode = gw.Identity, gw.CacheMode
	}
	var cert certValues
	if c := r.Certificate; c != nil {
		cert = certValues{true, c.BuildSignerURI, c.SourceRepositoryURI, c.SourceRepositoryRef}
		if cert.builder == "" {
			cert.builder = c.SubjectAlternativeName
		}
	}
	for _, c := range []struct {
		name, want, got, certGot string
		match                    func(want, got string) bool
		reason                   error
		gateway, certified       bool
	}{
		{"builderId", o.BuilderID, r.BuilderID, cert.builder, matchBuilderID, ErrBuilderID, false, true},
		{"sourceUri", o.SourceURI, r.SourceURI, cert.source, matchSourceURI, ErrSourceURI, false, true},
		{"sourceRef", o.SourceRef, r.SourceRef, cert.ref, equal, ErrSourceRef, false, true},
		{"tier", o.Tier, r.Tier, "", equal, ErrTier, false, false},
		{"identity", o.Identity, r.Identity, "", equal, ErrIdentity, true, false},
		{"cacheMode", o.CacheMode, r.CacheMode, "", equal, ErrCacheMode, true, false},
	} {
		if c.want == "" {
			continue
		}
		if cert.ok && c.certified && !c.match(c.want, c.certGot) {
			return r.fail(c.name, failed(c.reason, "certificate says %q, want %q", c.certGot, c.want))
		}
		if st == nil {
			if !cert.ok || !c.certified {
				return r.fail(c.name, failed(c.reason, "a blob signature carries no provenance, want %q", c.want))
			}
			r.pass(c.name, c.certGot+" (certificate; a blob signature has no payload)")
			continue
		}
		if c.gateway && gw == nil {
			return r.fail(c.name, failed(c.reason, "no internalParameters.gateway (the run did not go through the gateway), want %q", c.want))
		}
		if !c.match(c.want, c.got) {
			if cert.ok && c.certified {
				return r.fail(c.name, failed(c.reason, "the certificate says %q but the payload says %q (want %q)", c.certGot, c.got, c.want))
			}
			return r.fail(c.name, failed(c.reason, "got %q, want %q", c.got, c.want))
		}
		if cert.ok && c.certified {
			r.pass(c.name, c.got+" (payload and certificate agree)")
		} else {
			r.pass(c.name, c.got)
		}
	}
	return nil
}

// certValues are the certificate's answers to the provenance constraints.
type certValues struct {
	ok                   bool
	builder, source, ref string
}

func equal(want, got string) bool { return want == got }

// matchBuilderID: a builder id without "@ref" matches any ref of it (as
// slsa-verifier's --builder-id does).
func matchBuilderID(want, got string) bool {
	if got == want {
		return true
	}
	return !strings.Contains(want, "@") && strings.HasPrefix(got, want+"@")
}

// matchSourceURI compares source URIs without scheme, "git+" prefix,
// ".git" suffix, trailing slash and @ref, host case-insensitively (and the
// path on github.com) ("github.com/o/r" as slsa-verifier
// takes it matches "git+https://github.com/o/r.git").
func matchSourceURI(want, got string) bool {
	return got != "" && normSourceURI(want) == normSourceURI(got)
}

func normSourceURI(s string) string {
	s = trimScheme(s)
	if slash := strings.Index(s, "/"); slash >= 0 {
		if at := strings.Index(s[slash:], "@"); at >= 0 {
			s = s[:slash+at] // a trailing @ref or @commit
		}
	}
	s = strings.TrimSuffix(strings.TrimSuffix(s, "/"), ".git")
	// Host names are case-insensitive; paths only on GitHub.
	host, path, _ := strings.Cut(s, "/")
	host = strings.ToLower(host)
	if host == "github.com" {
		path = strings.ToLower(path)
	}
	return host + "/" + path
}
