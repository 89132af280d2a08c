// Package serve is pinline's control plane (`pinline serve`) and its client
// (`pinline submit`).
//
// The server terminates mTLS and maps the client certificate to one tier
// with the gateway's identity rules (engineconfig.IdentityRule,
// engineconfig.Gateway.Assign: one rule engine and one vocabulary for both).
// A submission names a repository URL, a full commit, a spec path and tasks;
// the server checks the URL against the tier's allowed prefixes, fetches that
// commit itself with git (the hardened options of pipeline.GitSafety) into a
// fresh workspace, checks the spec path (after symlinks) and the task names,
// and queues the run in the tier's FIFO queue. A run goes through
// pipeline.Run, the code path of `pinline run`, with the tier's operator
// policy data, secrets file, engine and builder id, and is signed with the
// tier's key, loaded and decrypted once when the server starts. Records live
// in the operator's store directory in the `.pinline/runs/<id>/` layout;
// the server's own state of each run (queued, running, done) is under
// `.pinline/serve/`. Every request and every refusal is one JSON line in the
// audit log.
//
// The HTTP API is described in docs/openapi.yaml; Client is its Go client.
package serve
