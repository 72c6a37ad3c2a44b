import { existsSync } from 'node:fs'
import { z } from 'zod'
import { duplicateHeaderNames, headerNameProblem, headerValueProblem, isAuthorization } from './http-headers.js'
import { DEFAULT_MAX_GROUP_SIZE } from './defaults.js'

// One schema per configuration concern; the TypeScript types, the defaults and the README's
// configuration reference are all derived from these, so they cannot drift apart.


export { DEFAULT_MAX_GROUP_SIZE } from './defaults.js'

const port = z.number().int().min(0).max(65535)

// Files are checked when the config is validated so that a typo fails at start-up, not at first use.
const filePath = (): z.ZodString => z.string().min(1).refine((p) => existsSync(p), { message: 'file not found' })

const listenSchema = z.strictObject({
  host: z.string().min(1).default('127.0.0.1').describe('Address the HTTPS API listens on'),
  port: port.default(6443).describe('HTTPS API port (0 picks a free port)'),
})

const metricsListenSchema = z.strictObject({
  host: z.string().min(1).default('127.0.0.1').describe('Address of the plain-HTTP /metrics, /livez and /readyz listener'),
  port: port.default(9464).describe('Port of the plain-HTTP telemetry listener (0 picks a free port)'),
})

const tlsSchema = z.strictObject({
  certFile: filePath().optional().describe('Serving certificate (PEM). Without it a self-signed one is made, in local mode only'),
  keyFile: filePath().optional().describe('Private key of the serving certificate (PEM)'),
  reloadIntervalMs: z.number().int().min(100).default(10_000).describe('How often the certificate files are checked for rotation'),
})

const requestHeaderSchema = z.strictObject({
  clientCAFile: filePath().optional().describe('CA that signs the front proxy client certificate; unset reads kube-system/extension-apiserver-authentication'),
  allowedNames: z.array(z.string().min(1)).default([]).describe('Common names allowed to assert X-Remote-* headers (empty = any name signed by the CA)'),
  usernameHeaders: z.array(z.string().min(1)).default(['X-Remote-User']).describe('Headers carrying the user name'),
  groupHeaders: z.array(z.string().min(1)).default(['X-Remote-Group']).describe('Headers carrying the groups'),
  extraHeaderPrefixes: z.array(z.string().min(1)).default(['X-Remote-Extra-']).describe('Header prefixes carrying extra user attributes'),
  reloadIntervalMs: z.number().int().min(100).default(60_000).describe('How often the request-header CA and settings are re-read (the ConfigMap, or clientCAFile), so a front-proxy CA rotation needs no restart'),
})

const authorizationSchema = z.strictObject({
  allowCacheTtlMs: z.number().int().min(0).default(10_000).describe('How long an allowed SubjectAccessReview is cached'),
  denyCacheTtlMs: z.number().int().min(0).default(10_000).describe('How long a denied SubjectAccessReview is cached'),
  cacheSize: z.number().int().min(1).default(10_000).describe('Most review decisions kept (authentication and authorization each)'),
  timeoutMs: z.number().int().min(1).default(1_000).describe('Deadline of one TokenReview or SubjectAccessReview call'),
})

const authSchema = z.strictObject({
  mode: z.enum(['local', 'kubernetes']).default('local').describe('local: no authentication, loopback addresses only; kubernetes: delegated authn/authz'),
  kubeconfig: filePath().optional().describe('kubeconfig file for the adapter\'s Kubernetes calls; unset uses the in-cluster service account. Exec and auth-provider plugins, proxy-url, impersonation and basic auth load @kubernetes/client-node for the credentials (about 35 MiB more)'),
  requestHeader: requestHeaderSchema.prefault({}),
  authorization: authorizationSchema.prefault({}),
})

const replaySourceSchema = z.strictObject({
  kind: z.literal('replay').default('replay').describe('Data source kind: replay (a bundled or given trace, no Prometheus) or prometheus'),
  traceFile: filePath().optional().describe('Request trace to replay: CSV with the header timestamp,requests (gzip allowed), one fixed step, timestamps without a zone read as UTC-04:00; unset uses the bundled NASA HTTP 1995 trace'),
})

/** Header name -> value; the names are checked here, values by `valueCheck` (a literal value, or a file). */
const headerMap = <V extends z.ZodType<string>>(value: V, checkValues: boolean): z.ZodType<Record<string, z.output<V>>, Record<string, z.input<V>>> =>
  z.record(z.string(), value).superRefine((headers, ctx) => {
    for (const [name, v] of Object.entries(headers)) {
      const problem = headerNameProblem(name) ?? (checkValues ? headerValueProblem(v) : undefined)
      if (problem !== undefined) ctx.addIssue({ code: 'custom', path: [name], message: problem })
    }
  }) as unknown as z.ZodType<Record<string, z.output<V>>, Record<string, z.input<V>>>

export const prometheusSourceSchema = z.strictObject({
  kind: z.literal('prometheus'),
  url: z.url({ protocol: /^https?$/ }).describe('Base URL of the Prometheus HTTP API, with the path prefix of a store that serves it below one: http://prometheus:9090, http://thanos-query:9090, http://mimir/prometheus, http://vmselect:8481/select/0/prometheus. Query parameters in it are sent with every query (http://thanos-query:10902?partial_response=false)'),
  timeoutMs: z.number().int().min(100).default(10_000).describe('Deadline of one Prometheus query'),
  maxConcurrentQueries: z.number().int().min(1).max(64).default(4).describe('Most Prometheus queries in flight at once'),
  maxGroupSize: z.number().int().min(1).max(1000).default(DEFAULT_MAX_GROUP_SIZE).describe('Most policies whose load queries are merged into one grouped query'),
  bearerTokenFile: filePath().optional().describe('File holding a bearer token for Prometheus'),
  username: z.string().min(1).optional().describe('Basic-auth user for Prometheus'),
  passwordFile: filePath().optional().describe('File holding the basic-auth password'),
  caFile: filePath().optional().describe('CA bundle that signs the Prometheus serving certificate'),
  headers: headerMap(z.string(), true).default({}).describe('Extra headers sent with every query, as a mapping (in the environment or --set, JSON): {"X-Scope-OrgID": "team-a"} names the tenant of Mimir, Cortex or a multi-tenant proxy. Not for credentials: Authorization is refused here'),
  headerFiles: headerMap(filePath(), false).default({}).describe('Extra headers whose values are read from files (a mounted Secret) at every query, so a rotated value needs no restart: {"X-Scope-OrgID": "/etc/foresight/tenant/id"}. Authorization is allowed here when bearerTokenFile and username are unset'),
})

const sourceSchema = z.discriminatedUnion('kind', [replaySourceSchema, prometheusSourceSchema])

const policiesSchema = z.strictObject({
  source: z.enum(['file', 'kubernetes']).default('file').describe('Where ForesightPolicies come from: a YAML file, or the cluster'),
  file: filePath().optional().describe('Policy file (YAML, one or more documents; `[]` for none: a file with no document is refused, as while it is being rewritten); unset uses the bundled demo policy'),
  namespace: z.string().min(1).optional().describe('Only watch policies in this namespace (kubernetes source); unset watches all'),
})

const engineSchema = z.strictObject({
  refreshIntervalMs: z.number().int().min(1_000).max(600_000).default(15_000).describe('How often every policy is recomputed'),
  thread: z.enum(['worker', 'main']).default('worker').describe("Where refreshes run: 'worker', a thread of their own, so that refreshing many policies does not delay API requests; 'main', the API's own thread (one thread less, enough for a few policies)"),
  collectAfterRefresh: z.enum(['compact', 'full', 'off']).default('compact').describe("With thread 'worker': how the worker frees a refresh's garbage once its results are sent. 'compact', V8's memory-reducing collection (the least memory: about 500 MiB at 10,000 policies); 'full', one plain full collection (about 570 MiB); 'off', V8's own schedule (about 640 MiB). The collection takes CPU from the API's thread on a small node (docs/benchmarks.md, Memory): 'off' for the lowest API latency where memory allows"),
  adaptiveForecast: z.boolean().default(true).describe("Serve each policy's forecast adapted to its own recent history (weights between the model and simple forecasters by recent error, online p10/p90 calibration, seasonal rows masked where they have not helped; kept in memory, so a restart starts it afresh); false serves the model's quantiles as they are"),
  forecastCalibration: z.boolean().default(true).describe("With adaptiveForecast, also recalibrate each policy's served p10/p90 (the forecast metrics) online so that about 90 % of its actuals fall below the p90. The replica count does not depend on it: the replica rule provisions for the model's own p90 band around the adapted median, which gave fewer under-provisioned minutes at equal cost on the NASA validation segment"),
})

const kedaSchema = z.strictObject({
  enabled: z.boolean().default(false).describe("Serve KEDA's external scaler (gRPC, TLS with the adapter's certificate) so a ScaledObject trigger `type: external` or `external-push` scales on a policy's desired replicas; for clusters where KEDA owns the external metrics API"),
  host: z.string().min(1).default('127.0.0.1').describe('Address the KEDA external scaler listens on'),
  port: port.default(6000).describe('KEDA external scaler port (0 picks a free port)'),
  clientCAFile: filePath().optional().describe("CA that signs KEDA's client certificate (the TriggerAuthentication's tlsClientCert); when set, clients without such a certificate are refused"),
})

const modelSchema = z.strictObject({
  file: filePath().optional().describe('ONNX forecaster; unset uses the bundled models/foresight-forecaster.onnx'),
  metadataFile: filePath().optional().describe('Its metadata JSON (version, shapes, sha256); unset uses the bundled one'),
})

/** Shared by the adapter and the webhook, the two servers a rollout must drain. */
export const shutdownDelaySchema = z.number().int().min(0).max(60_000).default(0).describe('After SIGTERM, keep answering this long (readiness failing) before closing, so callers still routed here by a not yet updated endpoint list are served; 0 closes at once. The manifests use 5000; keep it well below the pod terminationGracePeriodSeconds (30 s by default)')

export const adapterConfigSchema = z.strictObject({
  listen: listenSchema.prefault({}),
  metrics: metricsListenSchema.prefault({}),
  tls: tlsSchema.prefault({}),
  auth: authSchema.prefault({}),
  source: sourceSchema.prefault({ kind: 'replay' }),
  policies: policiesSchema.prefault({}),
  engine: engineSchema.prefault({}),
  model: modelSchema.prefault({}),
  keda: kedaSchema.prefault({}),
  shutdownDelayMs: shutdownDelaySchema,
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('Log level'),
}).superRefine((cfg, ctx) => {
  if ((cfg.tls.certFile === undefined) !== (cfg.tls.keyFile === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['tls', cfg.tls.certFile === undefined ? 'certFile' : 'keyFile'], message: 'certFile and keyFile must be set together' })
  }
  if (cfg.auth.mode === 'kubernetes' && cfg.tls.certFile === undefined) {
    ctx.addIssue({ code: 'custom', path: ['tls', 'certFile'], message: 'required when auth.mode is kubernetes (self-signed certificates are for local mode only)' })
  }
  if (cfg.auth.mode === 'local' && !isLoopback(cfg.listen.host)) {
    ctx.addIssue({ code: 'custom', path: ['listen', 'host'], message: `auth.mode local serves loopback addresses only, not ${cfg.listen.host}; use auth.mode kubernetes to listen elsewhere` })
  }
  if (cfg.keda.enabled && cfg.auth.mode === 'local' && !isLoopback(cfg.keda.host)) {
    ctx.addIssue({ code: 'custom', path: ['keda', 'host'], message: `auth.mode local serves loopback addresses only, not ${cfg.keda.host}; use auth.mode kubernetes to listen elsewhere` })
  }
  if (cfg.source.kind === 'prometheus' && (cfg.source.username === undefined) !== (cfg.source.passwordFile === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['source', 'passwordFile'], message: 'username and passwordFile must be set together' })
  }
  if (cfg.source.kind === 'prometheus') headerRules(cfg.source, ctx)
  if (cfg.policies.source === 'kubernetes' && cfg.auth.mode === 'local') {
    ctx.addIssue({ code: 'custom', path: ['policies', 'source'], message: 'kubernetes policies need auth.mode kubernetes (a cluster)' })
  }
})

/** Rules between the header settings and the credentials: each header is sent once, credentials come from files. */
function headerRules(src: z.output<typeof prometheusSourceSchema>, ctx: z.RefinementCtx): void {
  for (const name of Object.keys(src.headers)) {
    if (isAuthorization(name)) ctx.addIssue({ code: 'custom', path: ['source', 'headers', name], message: 'credentials do not belong in plain configuration: use bearerTokenFile, username with passwordFile, or headerFiles' })
  }
  for (const dup of duplicateHeaderNames([...Object.keys(src.headers), ...Object.keys(src.headerFiles)])) {
    ctx.addIssue({ code: 'custom', path: ['source', 'headerFiles'], message: `header ${dup} is set twice (names are case-insensitive; headers and headerFiles together)` })
  }
  const authFile = Object.keys(src.headerFiles).find(isAuthorization)
  if (authFile !== undefined && (src.bearerTokenFile !== undefined || src.username !== undefined)) {
    ctx.addIssue({ code: 'custom', path: ['source', 'headerFiles', authFile], message: 'Authorization is already sent for bearerTokenFile or username; set one of them' })
  }
}

/** Local mode has no authentication, so it may only be reachable from this machine. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
}

export type AdapterConfig = z.output<typeof adapterConfigSchema>
export type PrometheusSourceConfig = z.output<typeof prometheusSourceSchema>
