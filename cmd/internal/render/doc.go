// Package render writes a policy decision as text, JSON, SARIF 2.1.0 or
// JUnit XML for pinline check. Output is deterministic: findings are sorted
// by file, line, column and rule id.
package render
