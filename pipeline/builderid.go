package pipeline

// NativeBuilderID is the builder id of runs on an engine's own TLS
// listener: the engine authorized nobody, so no tier's builder id applies.
const NativeBuilderID = "https://pinline.dev/builders/engine-native"

// BuilderID is the builder id of runs pinline starts itself in tier (the
// gateway's answer overrides it for runs through a gateway): one builder id
// per tier, https://pinline.dev/builders/<tier>.
func BuilderID(tier string) string { return "https://pinline.dev/builders/" + tier }
