// Package report renders audit reports (HTML, Markdown, JSON) over run
// records and builds signed evidence packs.
//
// Build reads every run directory (run.json, decision.json, sbom.cdx.json,
// provenance.intoto.json) through package record into a Report: unreadable
// runs are listed with their path, never fatal. Provenance signatures are
// re-checked with the attest verifiers the caller passes (attest parses the
// envelope and checks the PAE; report has no DSSE code of its own); the
// verdict is never copied from run.json. Render writes the report in one of
// Formats. WritePack and VerifyPack write and check the evidence pack, a
// tar.gz whose first entry, a manifest of SHA-256 digests, is a DSSE-signed
// in-toto statement checked with a key role of its own (PackKeys). The
// formats are documented in docs/report.md.
package report
