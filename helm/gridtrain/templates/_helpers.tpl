{{/*
The chart name, or nameOverride.
*/}}
{{- define "gridtrain.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The prefix of every resource name: fullnameOverride, or "<release>-<name>" (the release name alone when it
already contains the name). Kept to 52 characters so that "-controller" still fits a 63-character name.
*/}}
{{- define "gridtrain.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 52 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 52 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Chart name and version, for the helm.sh/chart label.
*/}}
{{- define "gridtrain.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Names of the controller's Deployment and Service, the agents' DaemonSet, and the controller's data claim.
*/}}
{{- define "gridtrain.controller.fullname" -}}
{{- printf "%s-controller" (include "gridtrain.fullname" .) }}
{{- end }}

{{- define "gridtrain.agent.fullname" -}}
{{- printf "%s-agent" (include "gridtrain.fullname" .) }}
{{- end }}

{{- define "gridtrain.controller.claimName" -}}
{{- .Values.controller.persistence.existingClaim | default (printf "%s-data" (include "gridtrain.controller.fullname" .)) }}
{{- end }}

{{/*
Selector labels (without the component label, which each template adds).
*/}}
{{- define "gridtrain.selectorLabels" -}}
app.kubernetes.io/name: {{ include "gridtrain.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
Labels of every resource (without the component label).
*/}}
{{- define "gridtrain.labels" -}}
helm.sh/chart: {{ include "gridtrain.chart" . }}
{{ include "gridtrain.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: gridtrain
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
The service account both pods run as.
*/}}
{{- define "gridtrain.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "gridtrain.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
An image reference from (dict "image" <controller.image or agent.image> "root" $): repository@digest when a
digest is set, else repository:tag with the tag defaulting to the chart's appVersion.
*/}}
{{- define "gridtrain.image" -}}
{{- if .image.digest }}
{{- printf "%s@%s" .image.repository .image.digest }}
{{- else }}
{{- printf "%s:%s" .image.repository (toString (.image.tag | default .root.Chart.AppVersion)) }}
{{- end }}
{{- end }}

{{/*
The controller's gRPC address inside the cluster, and the address the agents join (agent.controllerAddress
when set).
*/}}
{{- define "gridtrain.controller.serviceUrl" -}}
{{- printf "%s://%s.%s.svc:%v" (ternary "https" "http" (not (empty .Values.tls.secretName))) (include "gridtrain.controller.fullname" .) .Release.Namespace .Values.controller.service.port }}
{{- end }}

{{- define "gridtrain.agent.controllerUrl" -}}
{{- .Values.agent.controllerAddress | default (include "gridtrain.controller.serviceUrl" .) }}
{{- end }}


{{/*
The Secret with the agent join token: auth.joinTokenSecret, or the one this chart generates (join-token-secret.yaml).
*/}}
{{- define "gridtrain.joinTokenSecretName" -}}
{{- .Values.auth.joinTokenSecret | default (printf "%s-join-token" (include "gridtrain.fullname" .)) }}
{{- end }}

{{/*
Labels of a pod from (dict "component" "controller"|"agent" "podLabels" <map> "root" $): the selector labels, the
component, commonLabels and the component's podLabels.
*/}}
{{- define "gridtrain.podLabels" -}}
{{ include "gridtrain.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- with .podLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Combinations of values that install but cannot run. values.schema.json refuses them first (helm install validates
it); these guards say the same for `helm template --skip-schema-validation` and for renderers without the schema.
*/}}
{{- define "gridtrain.validate" -}}
{{- $tls := .Values.tls }}
{{- if and $tls.mutualTls (not $tls.secretName) }}
{{- fail "tls.mutualTls needs tls.secretName: the controller refuses --agent-ca without its own certificate; set tls.secretName to a kubernetes.io/tls Secret" }}
{{- end }}
{{- if and $tls.mutualTls (not $tls.caSecretName) }}
{{- fail "tls.mutualTls needs tls.caSecretName: set it to the Secret whose ca.crt signed the agents' client certificates" }}
{{- end }}
{{- if and $tls.mutualTls .Values.agent.enabled (not $tls.agentCertSecretName) }}
{{- fail "tls.mutualTls needs tls.agentCertSecretName: set it to the kubernetes.io/tls Secret with the agents' client certificate" }}
{{- end }}
{{- if and .Values.agent.enabled (eq .Values.agent.checkpoints.store "gdrive") (not .Values.agent.checkpoints.drive.rootFolderId) }}
{{- fail "agent.checkpoints.store gdrive needs agent.checkpoints.drive.rootFolderId: set it to the id of the Drive folder that holds the job folders" }}
{{- end }}
{{- if and .Values.controller.postgres.enabled (not .Values.controller.postgres.existingSecret) }}
{{- fail "controller.postgres.enabled needs controller.postgres.existingSecret: set it to the Secret holding the Npgsql connection string" }}
{{- end }}
{{- if and .Values.agent.enabled (eq .Values.agent.workDir.type "persistentVolumeClaim") (not .Values.agent.workDir.persistentVolumeClaim.claimName) }}
{{- fail "agent.workDir.type persistentVolumeClaim needs agent.workDir.persistentVolumeClaim.claimName: set it to an existing ReadWriteMany claim" }}
{{- end }}
{{- if and .Values.serviceMonitor.enabled .Values.prometheusScrapeAnnotations }}
{{- fail "serviceMonitor.enabled and prometheusScrapeAnnotations both scrape every pod, doubling every series: set prometheusScrapeAnnotations to false (or serviceMonitor.enabled to false)" }}
{{- end }}
{{- if and .Values.controller.web.ingress.enabled (not .Values.controller.web.enabled) }}
{{- fail "controller.web.ingress.enabled needs controller.web.enabled: set controller.web.enabled to true" }}
{{- end }}
{{- end }}
