package record

// Service is a service container tasks of the run bound (pinline.yaml
// services): its pinned image, command, the names of its environment
// variables (never values) and exposed ports, and the task instances that
// bound it.
type Service struct {
	Name    string   `json:"name"`
	Image   string   `json:"image"`
	Digest  string   `json:"digest"`
	Command []string `json:"command,omitempty"`
	EnvKeys []string `json:"envKeys,omitempty"`
	Ports   []int    `json:"ports,omitempty"`
	Tasks   []string `json:"tasks"`
}
