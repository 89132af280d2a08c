// Package policy is the pre-run gate. It loads the embedded default Rego
// bundle and user policy directories, builds the documented input document
// from an inventory of the repository, evaluates it with OPA and returns a
// Decision. It fails closed: a policy that does not compile, an evaluation
// error or an undefined result is never an allow.
package policy
