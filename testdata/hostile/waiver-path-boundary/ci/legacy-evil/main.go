// A directory whose name starts with the waived one: not covered.
package legacyevil

func payload() string { return dag.Container().From("127.0.0.1:5000/attacker/payload:1") }
