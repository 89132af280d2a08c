package pipeline

import (
	"context"
	"fmt"
	"strings"

	"github.com/pinline/pinline/inventory"
	"github.com/pinline/pinline/record"
)

// writeEvidence writes the SBOM and the signed provenance. final is true
// when it wrote run.json itself: a run without outputs is attested with
// run.json as the subject, so the record is written in its final form
// before signing (naming the provenance files that follow, without their
// digest) and is not rewritten after.
func writeEvidence(ctx context.Context, o *Options, rd *runDir, rec *record.Run, inv *inventory.Inventory) (final bool, pv *Provenance, err error) {
	if o.SBOM != nil {
		if err := writeSBOM(ctx, o, rd, rec, inv); err != nil {
			return false, nil, err
		}
	}
	if o.Attester == nil {
		return false, nil, nil
	}
	defer func() {
		if err != nil { // the record written on failure claims no provenance
			rec.Evidence.Provenance, rec.Evidence.ProvenanceSHA256, rec.Evidence.Bundle = "", "", ""
			rec.Evidence.Signed, rec.Evidence.KeyRef = false, ""
		}
	}()
	var recordSHA string
	if gitOnly(rec.Outputs) && len(rec.Published) == 0 {
		rec.Evidence.Provenance, rec.Evidence.Bundle, rec.Evidence.Signed = record.ProvenanceFile, record.BundleFile, true
		if k, ok := o.Attester.(interface{ keyRef() string }); ok {
			rec.Evidence.KeyRef = k.keyRef()
		}
		b, err := record.MarshalRun(rec)
		if err != nil {
			return false, nil, err
		}
		if err := rd.writeFile(record.RunFile, b); err != nil {
			return false, nil, err
		}
		recordSHA, final = sha256Hex(b), true
	}
	pv, err = o.Attester.Attest(ctx, rec, recordSHA)
	if err != nil {
		return false, nil, fmt.Errorf("provenance: %w", err)
	}
	if len(pv.Envelope) == 0 {
		return false, nil, fmt.Errorf("provenance: attester returned no envelope")
	}
	if final && (len(pv.Bundle) == 0 || pv.KeyRef != rec.Evidence.KeyRef) {
		return false, nil, fmt.Errorf("provenance: the attester's bundle or key reference differs from the record written before signing")
	}
	if err := rd.writeFile(record.ProvenanceFile, pv.Envelope); err != nil {
		return false, nil, err
	}
	if len(pv.Bundle) > 0 {
		if err := rd.writeFile(record.BundleFile, pv.Bundle); err != nil {
			return false, nil, err
		}
	}
	if !final {
		rec.Evidence.Provenance, rec.Evidence.ProvenanceSHA256 = record.ProvenanceFile, sha256Hex(pv.Envelope)
		if len(pv.Bundle) > 0 {
			rec.Evidence.Bundle = record.BundleFile
		}
		rec.Evidence.Signed, rec.Evidence.KeyRef = true, pv.KeyRef
	}
	return final, pv, nil
}

// writeSBOM writes sbom.cdx.json of the run and names it in the record.
func writeSBOM(ctx context.Context, o *Options, rd *runDir, rec *record.Run, inv *inventory.Inventory) error {
	var b strings.Builder
	if err := o.SBOM.WriteSBOM(ctx, rec, rd.path, inv, &b); err != nil {
		return fmt.Errorf("sbom: %w", err)
	}
	if err := rd.writeFile(record.SBOMFile, []byte(b.String())); err != nil {
		return err
	}
	rec.Evidence.SBOM, rec.Evidence.SBOMSHA256 = record.SBOMFile, sha256Hex([]byte(b.String()))
	return nil
}
