// Package finding holds the two types the gate, the inventory and the run
// record share: Pos (a place in a repository file) and Finding (one result
// of a gate rule). inventory.Position, policy.Pos and record.Pos are Pos;
// policy.Finding and record.Finding are Finding, so a decision is written
// to decision.json without a conversion and both read the same JSON. A
// shared leaf: it imports no pinline package.
package finding
