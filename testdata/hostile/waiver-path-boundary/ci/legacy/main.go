// The legacy CI helper: a vendor image that ships tags only (waived).
package legacy

func scanner() string { return dag.Container().From("127.0.0.1:5000/vendor/scanner:2.1") }
