// Package deploy holds pinline's Kubernetes deployment: the Helm chart
// under deploy/pinline (gateway Deployment and Service, per-tier engine
// StatefulSets, NetworkPolicies, PodDisruptionBudgets). The package has no
// code; its tests render the chart with helm and decode every manifest
// strictly into its k8s.io/api type. See deploy/README.md.
package deploy
