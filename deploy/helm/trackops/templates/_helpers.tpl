{{- define "trackops.fullname" -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "trackops.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "trackops.secretName" -}}
{{- .Values.secrets.existingSecret | default (printf "%s-secrets" (include "trackops.fullname" .)) -}}
{{- end -}}

{{- define "trackops.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag }}
{{- end -}}

{{- define "trackops.migrationsImage" -}}
{{ .Values.migrations.image.repository }}:{{ .Values.migrations.image.tag | default .Values.image.tag }}
{{- end -}}

{{/*
The three app processes. Commands are docker-compose.yml's; the grace periods exceed each process's
own shutdown deadline (SHUTDOWN_GRACE_MS in its main.ts, plus the API's preStop pause), so a SIGTERM
always gets to finish: consumers commit and leave their groups, the worker finishes its tasks, the API
drains requests. test/deploy/helm.test.ts checks both against the sources.
*/}}
{{- define "trackops.processes" -}}
worker:
  command: [node, --require, ./dist/lib/telemetry/preload.cjs, dist/worker/main.js]
  portName: metrics
  portKey: WORKER_METRICS_PORT
  terminationGracePeriodSeconds: 40
  preStopSleepSeconds: 0
api:
  command: [node, --require, ./dist/lib/telemetry/preload.cjs, dist/api/main.js]
  portName: http
  portKey: API_PORT
  terminationGracePeriodSeconds: 30
  # Endpoints drop a terminating pod asynchronously: keep serving while they catch up.
  preStopSleepSeconds: 5
consumers:
  command: [node, --max-semi-space-size=32, --require, ./dist/lib/telemetry/preload.cjs, dist/consumers/main.js]
  portName: metrics
  portKey: CONSUMERS_METRICS_PORT
  terminationGracePeriodSeconds: 40
  preStopSleepSeconds: 0
{{- end -}}

{{- define "trackops.appEnvFrom" -}}
envFrom:
  - configMapRef:
      name: {{ include "trackops.fullname" . }}-config
  - secretRef:
      name: {{ include "trackops.secretName" . }}
{{- end -}}

{{/* The app processes' settings: those of every Job, and where their traces go. */}}
{{- define "trackops.processEnvFrom" -}}
envFrom:
  - configMapRef:
      name: {{ include "trackops.fullname" . }}-config
  - configMapRef:
      name: {{ include "trackops.fullname" . }}-telemetry
  - secretRef:
      name: {{ include "trackops.secretName" . }}
{{- end -}}
