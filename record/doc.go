// Package record defines the run record pinline writes under
// .pinline/runs/<run-id>/ (run.json, decision.json) and reads back for SBOMs,
// reports and listings. It imports only the standard library.
package record
