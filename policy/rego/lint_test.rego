package pinline.gate_test

with_lint(kind) := object.union(clean, {"lints": [{"pos": p("ci/main.go", 9), "origin": "go", "kind": kind, "expr": "path", "name": "GH_TOKEN"}]})

test_pl035_host_directory_dynamic if {
	"PL035" in ids(data.pinline.gate.deny) with input as with_lint("host-directory-dynamic")
}

test_pl036_host_file_dynamic if {
	"PL036" in ids(data.pinline.gate.deny) with input as with_lint("host-file-dynamic")
}

test_pl037_secret_env if {
	"PL037" in ids(data.pinline.gate.deny) with input as with_lint("secret-env")
}

test_pl038_host_socket if {
	"PL038" in ids(data.pinline.gate.deny) with input as with_lint("host-socket")
}

test_pl039_host_service_warns if {
	"PL039" in ids(data.pinline.gate.warn) with input as with_lint("host-service")
	count(data.pinline.gate.deny) == 0 with input as with_lint("host-service")
}

test_pl035_no_lints_clean if {
	count(data.pinline.gate.deny) == 0 with input as object.union(clean, {"lints": []})
}
