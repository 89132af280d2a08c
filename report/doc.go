// Package report renders audit reports (HTML, Markdown, JSON) over run
// records and builds signed evidence packs.
//
// Build reads every run directory (run.json, decision.json, sbom.cdx.json,
// provenance.intoto.json) into a Report: unreadable runs are listed with
// their path, never fatal. Provenance signatures are re-checked through a
// SignatureChecker (cmd wires it to attest's verifiers); the verdict is
// never copied from run.json. Render writes the report in one of Formats.
// WritePack and VerifyPack write and check the evidence pack, a tar.gz whose manifest of
// SHA-256 digests is a DSSE-signed in-toto statement. The formats are
// documented in docs/report.md.
package report
