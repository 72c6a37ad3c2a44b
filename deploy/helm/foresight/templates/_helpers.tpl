{{/*
Names are fixed, not derived from the release name: the APIService and the webhook configurations are
cluster-wide singletons, so one cluster holds one Foresight release, and the objects keep the names deploy/base
gives them (test/integration/helm.test.ts renders both and compares them).
*/}}

{{/* Labels only the chart adds (on metadata, never in selectors or pod templates). */}}
{{- define "foresight.chartLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service | quote }}
app.kubernetes.io/instance: {{ .Release.Name | quote }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{/* Chart labels plus the name and component of deploy/base. Call with (dict "root" $ "component" "adapter"). */}}
{{- define "foresight.labels" -}}
{{ include "foresight.selector" .component }}
{{ include "foresight.chartLabels" .root }}
{{- end -}}

{{/* The selector labels of a component, the same as deploy/base. */}}
{{- define "foresight.selector" -}}
app.kubernetes.io/name: foresight
app.kubernetes.io/component: {{ . }}
{{- end -}}

{{- define "foresight.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion -}}
{{- if .Values.image.digest -}}
{{ printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else -}}
{{ printf "%s:%s" .Values.image.repository $tag }}
{{- end -}}
{{- end -}}

{{/*
Settings whose value is itself a mapping of free names (request headers): one --set with the mapping as JSON, as
the CLI reads it, not one per name. src/deploy/helm-values.test.ts checks this list against the zod schemas.
*/}}
{{- define "foresight.mappingSettings" -}}source.headers source.headerFiles{{- end -}}

{{/*
A component's configuration as `--set=path=value` arguments, one per leaf of the nested map (the keys of the
configuration reference in the README). Lists are comma-separated, as the CLI reads them; null leaves are left
out (the default applies). Numbers go through toJson: YAML numbers arrive as floats, and printf would write
1048576 as 1.048576e+06.
*/}}
{{- define "foresight.setArgs" -}}
{{- $prefix := .prefix -}}
{{- range $key, $value := .config }}
{{- $path := ternary $key (printf "%s.%s" $prefix $key) (eq $prefix "") }}
{{- if and (kindIs "map" $value) (has $path (include "foresight.mappingSettings" . | splitList " ")) }}
{{- if $value }}
- {{ printf "--set=%s=%s" $path (toJson $value) | toJson }}
{{- end }}
{{- else if kindIs "map" $value }}
{{- include "foresight.setArgs" (dict "prefix" $path "config" $value) }}
{{- else if kindIs "slice" $value }}
- {{ printf "--set=%s=%s" $path (join "," $value) | toJson }}
{{- else if kindIs "string" $value }}
- {{ printf "--set=%s=%s" $path $value | toJson }}
{{- else if not (kindIs "invalid" $value) }}
- {{ printf "--set=%s=%s" $path (toJson $value) | toJson }}
{{- end }}
{{- end }}
{{- end -}}

{{/* Pod and container hardening: the same as deploy/base, and not configurable. */}}
{{- define "foresight.podSecurityContext" -}}
securityContext:
  runAsNonRoot: true
  runAsUser: 65532
  seccompProfile: { type: RuntimeDefault }
{{- end -}}

{{- define "foresight.containerSecurityContext" -}}
securityContext:
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: true
  capabilities: { drop: [ALL] }
{{- end -}}

{{/* Scheduling and pull settings shared by the three pods; each renders only when set. */}}
{{- define "foresight.podExtras" -}}
{{- with .root.Values.imagePullSecrets }}
imagePullSecrets: {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .component.nodeSelector }}
nodeSelector: {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .component.tolerations }}
tolerations: {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .component.affinity }}
affinity: {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .component.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- end -}}

{{- define "foresight.imagePullPolicy" -}}
{{- with .Values.image.pullPolicy }}
imagePullPolicy: {{ . }}
{{- end }}
{{- end -}}

{{/*
TLS material for certificates.mode generate: a CA and one serving certificate per Service, made once per render
and shared by the Secrets and the caBundles (cached on the root context, which every template of the chart
shares). A new render (helm upgrade) makes new ones: the adapter and the webhook reload the mounted files
(tls.reloadIntervalMs) and the caBundles change in the same apply, so nothing needs a restart.
*/}}
{{- define "foresight.generatedTls" -}}
{{- if not (hasKey . "foresightGeneratedTls") -}}
{{- $ns := .Release.Namespace -}}
{{- $days := int .Values.certificates.generate.validityDays -}}
{{- $ca := genCA "foresight-ca" $days -}}
{{- $adapterName := printf "foresight-adapter.%s.svc" $ns -}}
{{- $webhookName := printf "foresight-webhook.%s.svc" $ns -}}
{{- $adapter := genSignedCert $adapterName nil (list $adapterName (printf "%s.cluster.local" $adapterName)) $days $ca -}}
{{- $webhook := genSignedCert $webhookName nil (list $webhookName (printf "%s.cluster.local" $webhookName)) $days $ca -}}
{{- $_ := set . "foresightGeneratedTls" (dict "ca" $ca.Cert "adapter" $adapter "webhook" $webhook) -}}
{{- end -}}
{{- end -}}

{{/* caBundle of the APIService and the webhooks: generated, given (certificates.mode existing) or injected. */}}
{{- define "foresight.caBundle" -}}
{{- if eq .Values.certificates.mode "generate" -}}
{{- include "foresight.generatedTls" . -}}
caBundle: {{ .foresightGeneratedTls.ca | b64enc }}
{{- else if and (eq .Values.certificates.mode "existing") .Values.certificates.existing.caBundle -}}
caBundle: {{ .Values.certificates.existing.caBundle }}
{{- end -}}
{{- end -}}

{{/* cert-manager's cainjector fills the caBundles from the named Certificate's Secret. */}}
{{- define "foresight.injectCa" -}}
{{- if eq .root.Values.certificates.mode "certManager" }}
annotations:
  cert-manager.io/inject-ca-from: {{ printf "%s/%s" .root.Release.Namespace .certificate }}
{{- end }}
{{- end -}}
