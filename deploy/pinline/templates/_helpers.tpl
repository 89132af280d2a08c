{{/* Names and labels. */}}
{{- define "pinline.name" -}}{{ .Release.Name | trunc 40 | trimSuffix "-" }}{{- end -}}
{{- define "pinline.gateway" -}}{{ include "pinline.name" . }}-gateway{{- end -}}
{{- define "pinline.labels" -}}
app.kubernetes.io/name: pinline
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}
{{- define "pinline.gatewaySelector" -}}
app.kubernetes.io/name: pinline
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: gateway
{{- end -}}

{{/* An image reference pinned by digest, or a render failure. */}}
{{- define "pinline.image" -}}
{{- $what := index . 0 -}}{{- $img := index . 1 -}}
{{- if not $img.repository -}}{{- fail (printf "%s.image.repository is required" $what) -}}{{- end -}}
{{- if not (regexMatch "^sha256:[0-9a-f]{64}$" (default "" $img.digest)) -}}
{{- fail (printf "%s.image.digest must be sha256:<64 hex> (images are pinned by digest), got %q" $what (default "" $img.digest)) -}}
{{- end -}}
{{- printf "%s@%s" $img.repository $img.digest -}}
{{- end -}}

{{/* Tier checks shared by every per-tier template. */}}
{{- define "pinline.checkTier" -}}
{{- if not (regexMatch "^[a-z][a-z0-9-]{0,31}$" .name) -}}{{- fail (printf "tiers: name %q must match [a-z][a-z0-9-]{0,31}" .name) -}}{{- end -}}
{{- if lt (int .engines) 1 -}}{{- fail (printf "tiers[%s].engines must be at least 1" .name) -}}{{- end -}}
{{- end -}}
