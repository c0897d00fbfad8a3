{{/* Chart name, truncated to the 63 characters of a DNS label. */}}
{{- define "switchboard.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Fully qualified app name: the release name, plus the chart's unless it already holds it. */}}
{{- define "switchboard.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "switchboard.selectorLabels" -}}
app.kubernetes.io/name: {{ include "switchboard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "switchboard.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "switchboard.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* The Secret holding the API key: the user's own, or the chart's. */}}
{{- define "switchboard.secretName" -}}
{{- default (include "switchboard.fullname" .) .Values.apiKey.existingSecret -}}
{{- end -}}

{{/*
The drain's worst case in seconds: ceil(maxConnectionsPerPod / batchSize) batches,
intervalMs apart (docs/operations.md "Shutdown"), rounded up.
*/}}
{{- define "switchboard.drainSeconds" -}}
{{- $d := .Values.drain -}}
{{- $batches := div (add (int $d.maxConnectionsPerPod) (int $d.batchSize) -1) (int $d.batchSize) -}}
{{- div (add (mul $batches (int $d.intervalMs)) 999) 1000 -}}
{{- end -}}

{{/*
preStop + the drain + the 5 s after which the server exits anyway + 5 s of margin:
Kubernetes counts the preStop hook inside the grace period.
*/}}
{{- define "switchboard.terminationGracePeriodSeconds" -}}
{{- add (int .Values.drain.preStopSeconds) (include "switchboard.drainSeconds" . | int) 10 -}}
{{- end -}}

{{/* The serve config file: values.config with the drain settings. */}}
{{- define "switchboard.config" -}}
{{- $drain := dict "drainBatchSize" (int .Values.drain.batchSize) "drainIntervalMs" (int .Values.drain.intervalMs) "drainReconnectWindowMs" (int .Values.drain.reconnectWindowMs) -}}
{{- mustMergeOverwrite (deepCopy .Values.config) $drain | toPrettyJson -}}
{{- end -}}
