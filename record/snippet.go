package record

// Snippet is what the run record keeps of one `pinline exec` snippet (a
// task whose Snippet is set; the task carries status, exit code, image,
// duration and cache state). Never the source, its output or its error
// stream: only their digest and sizes.
type Snippet struct {
	// Preset is the preset's name; Digest its image's digest.
	Preset string `json:"preset"`
	Digest string `json:"digest"`
	// CodeSHA256 is the hex SHA-256 of the source, CodeBytes its size.
	CodeSHA256 string `json:"codeSha256"`
	CodeBytes  int    `json:"codeBytes"`
	// Packages maps each detected import to the package installed for it.
	Packages map[string]string `json:"packages,omitempty"`
	// TimeoutMS is the snippet's time limit.
	TimeoutMS    int64 `json:"timeoutMs"`
	Success      bool  `json:"success"`
	TimedOut     bool  `json:"timedOut,omitempty"`
	Truncated    bool  `json:"truncated,omitempty"`
	CompileError bool  `json:"compileError,omitempty"`
	// OutputBytes and ErrorBytes are the sizes of what was kept of stdout
	// and stderr.
	OutputBytes int `json:"outputBytes"`
	ErrorBytes  int `json:"errorBytes"`
}
