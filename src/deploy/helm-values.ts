import { z } from 'zod'
import { adapterConfigSchema } from '../config/adapter-config.js'
import { controllerConfigSchema } from '../config/controller-config.js'
import { configLeaves } from '../config/leaves.js'
import { webhookConfigSchema } from '../config/webhook-config.js'

// The values of the Helm chart deploy/helm/foresight. Its values.schema.json is generated from here, with the
// three `config` maps taken from the processes' own configuration schemas, so helm rejects a key that the
// process would reject (an unknown or misspelt setting, a wrong enum) at `helm install` instead of the pod
// failing at start-up. Rules that compare settings (superRefine) are not expressible there; the process still
// checks them. The defaults live in values.yaml; the docs table reads them from there.

export const CHART_DIR = 'deploy/helm/foresight'
export const VALUES_SCHEMA_PATH = `${CHART_DIR}/values.schema.json`
export const CHART_CRD_PATH = `${CHART_DIR}/crds/foresightpolicies.foresight.dev.yaml`
/** deploy/monitoring files the chart carries in files/ (a chart cannot read outside its folder). */
export const MONITORING_FILES = ['prometheusrule.yaml', 'grafana-dashboard.json'] as const
export const REGENERATE_HELM_COMMAND = 'node --import tsx hack/gen-helm.ts'

const CONFIG_KEYS = { adapter: adapterConfigSchema, webhook: webhookConfigSchema, controller: controllerConfigSchema } as const

const k8sName = z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/)
const labels = z.record(z.string(), z.string()).describe('Extra labels')
// Kubernetes objects passed through as they are (the apiserver validates them).
const passthrough = (what: string): z.ZodType => z.unknown().describe(what)
const configPlaceholder = (component: string): z.ZodType =>
  z.record(z.string(), z.unknown()).describe(`Configuration of \`foresight ${component}\`, passed as --set arguments: the keys of its configuration reference`)

const component = (name: keyof typeof CONFIG_KEYS, what: string, optional: boolean): z.ZodObject => z.strictObject({
  ...(optional ? { enabled: z.boolean().describe(`Run the ${what}`) } : {}),
  replicas: z.int().min(0).describe(`Replicas of the ${what}`),
  config: configPlaceholder(name),
  resources: passthrough('Container resources'),
  podDisruptionBudget: z.strictObject({ minAvailable: z.union([z.int().min(0), z.string()]).describe('minAvailable of its PodDisruptionBudget') }),
  nodeSelector: z.record(z.string(), z.string()).describe('Pod nodeSelector'),
  tolerations: z.array(z.unknown()).describe('Pod tolerations'),
  affinity: passthrough('Pod affinity'),
  priorityClassName: z.string().describe('Pod priorityClassName (empty: none)'),
})

export const chartValuesSchema = z.strictObject({
  image: z.strictObject({
    repository: z.string().min(1).describe('Image of the three components'),
    tag: z.string().describe('Image tag; empty: the chart appVersion'),
    digest: z.string().regex(/^(sha256:[0-9a-f]{64})?$/).describe('sha256:... digest; wins over the tag'),
    pullPolicy: z.enum(['', 'Always', 'IfNotPresent', 'Never']).describe('imagePullPolicy; empty: the Kubernetes default'),
  }),
  imagePullSecrets: z.array(z.strictObject({ name: k8sName })).describe('Pull secrets of the three pods'),
  apiService: z.strictObject({
    enabled: z.boolean().describe('Register the APIService v1beta1.external.metrics.k8s.io; false where KEDA or prometheus-adapter owns it (KEDA mode)'),
  }),
  certificates: z.strictObject({
    mode: z.enum(['generate', 'certManager', 'existing']).describe('generate: the chart makes a CA and the serving certificates; certManager: cert-manager Certificates with CA injection; existing: you provide the Secrets foresight-adapter-tls and foresight-webhook-tls'),
    generate: z.strictObject({ validityDays: z.int().min(1).max(3650).describe('Validity of the generated CA and certificates (mode generate)') }),
    existing: z.strictObject({ caBundle: z.string().describe('base64 PEM CA of the existing certificates, written into the caBundles (mode existing)') }),
  }),
  networkPolicy: z.strictObject({
    enabled: z.boolean().describe('Default-deny ingress plus one NetworkPolicy per component'),
    monitoringNamespace: k8sName.describe('Namespace allowed to scrape the telemetry ports'),
  }),
  adapter: component('adapter', 'adapter', false),
  webhook: component('webhook', 'admission webhook', true),
  controller: component('controller', 'remediation controller', true),
  monitoring: z.strictObject({
    podMonitors: z.strictObject({ enabled: z.boolean().describe('PodMonitors for the adapter and the controller (Prometheus Operator)'), labels }),
    prometheusRule: z.strictObject({ enabled: z.boolean().describe('PrometheusRule with the alerts of deploy/monitoring'), labels }),
    dashboard: z.strictObject({
      enabled: z.boolean().describe('The Grafana dashboard as a ConfigMap for the Grafana sidecar'),
      namespace: k8sName.describe('Namespace of the dashboard ConfigMap'),
      labels,
    }),
  }),
})

type JsonSchema = Record<string, unknown> & { properties?: Record<string, JsonSchema> }

function jsonSchema(schema: z.ZodType): JsonSchema {
  const out = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema
  delete out.$schema
  return out
}

/** values.schema.json: the chart's values, each component's `config` the schema of that process. */
export function chartValuesJsonSchema(): JsonSchema {
  const root = jsonSchema(chartValuesSchema)
  for (const [name, schema] of Object.entries(CONFIG_KEYS)) {
    const comp = root.properties?.[name]
    if (comp?.properties === undefined) throw new Error(`values schema: no ${name}`)
    comp.properties.config = { ...jsonSchema(schema), description: `Configuration of \`foresight ${name}\` (README, "Configuration")` }
  }
  return { $schema: 'https://json-schema.org/draft/2020-12/schema', ...root }
}

export function chartValuesJsonSchemaText(): string {
  return JSON.stringify(chartValuesJsonSchema(), null, 2) + '\n'
}

/** The docs table of the chart's values: every leaf with its default from values.yaml. */
export function chartValuesReference(values: unknown): string {
  const schema = jsonSchema(chartValuesSchema)
  const rows = configLeaves(chartValuesSchema).map((leaf) => {
    const def = leafAt(values, leaf.path)
    // A union's description sits on the union, above the variants the leaf walk descends into.
    const node = leafAt(schema, leaf.path.flatMap((p) => ['properties', p])) as { description?: string } | undefined
    const description = leaf.description !== '' ? leaf.description : node?.description ?? ''
    const shape = Array.isArray(def) ? 'array' : typeof def === 'object' && def !== null ? 'object' : leaf.type
    const type = leaf.enum !== undefined ? leaf.enum.map((e) => `\`${e === '' ? '""' : e}\``).join(' \\| ') : shape
    return `| \`${leaf.path.join('.')}\` | ${type} | \`${JSON.stringify(def)}\` | ${description} |`
  })
  return ['| value | type | default | meaning |', '|---|---|---|---|', ...rows].join('\n')
}

function leafAt(values: unknown, path: readonly string[]): unknown {
  let node = values
  for (const key of path) node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined
  return node
}

const VALUES_START = '<!-- helm-values:start -->'
const VALUES_END = '<!-- helm-values:end -->'

/** Replaces the generated values table between its markers in `doc`. */
export function withValuesReference(doc: string, table: string): string {
  const start = doc.indexOf(VALUES_START)
  const end = doc.indexOf(VALUES_END)
  if (start === -1 || end < start) throw new Error(`the document has no ${VALUES_START} ... ${VALUES_END} markers`)
  return `${doc.slice(0, start + VALUES_START.length)}\n${table}\n${doc.slice(end)}`
}
