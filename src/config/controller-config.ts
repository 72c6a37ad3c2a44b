import { existsSync } from 'node:fs'
import { z } from 'zod'

// Configuration of `foresight controller`, the remediation controller. Same conventions as the adapter's schema:
// defaults, env names (FORESIGHT_LEADER_ELECTION__LEASE_NAME) and the reference docs all derive from here.

const port = z.number().int().min(0).max(65535)
const filePath = (): z.ZodString => z.string().min(1).refine((p) => existsSync(p), { message: 'file not found' })
const name = z.string().min(1).max(253).regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a lowercase RFC 1123 name')

const leaderElectionSchema = z.strictObject({
  enabled: z.boolean().default(true).describe('Elect a leader among replicas; only the leader remediates. Disable only with a single replica'),
  leaseName: name.default('foresight-controller').describe('Name of the coordination.k8s.io/v1 Lease'),
  leaseNamespace: name.default('foresight').describe('Namespace of the Lease'),
  identity: z.string().min(1).optional().describe('This replica\'s identity in the Lease (set it to the pod name); unset uses the host name plus a random suffix'),
  leaseDurationSeconds: z.number().int().min(1).max(300).default(15).describe('How long a lease is valid without renewal'),
  renewDeadlineMs: z.number().int().min(100).default(10_000).describe('How long the leader retries renewing before it stops acting'),
  retryPeriodMs: z.number().int().min(50).default(2_000).describe('Time between lease attempts'),
})

const reconcileSchema = z.strictObject({
  intervalMs: z.number().int().min(1_000).max(600_000).default(15_000).describe('How often every policy is evaluated'),
  waitingIntervalMs: z.number().int().min(1_000).max(600_000).default(5_000).describe('How soon a policy is evaluated again when a restart waited for maxUnavailable (a replacement may be Ready before the next round); not sooner than intervalMs turns it off'),
  outlierThreshold: z.number().gt(0).max(1).default(0.8).describe('Pod anomaly score from which a pod is an outlier'),
  staleAfterMs: z.number().int().min(1_000).default(60_000).describe('A pod score older than this counts as no score; a gap this long breaks a streak'),
  requestTimeoutMs: z.number().int().min(100).default(10_000).describe('Deadline of each Kubernetes API call'),
})

const evictionSchema = z.strictObject({
  initialBackoffMs: z.number().int().min(100).default(10_000).describe('First wait after an eviction is refused (429); doubles per refusal'),
  maxBackoffMs: z.number().int().min(100).default(600_000).describe('Longest wait after repeated refusals'),
})

const controllerEventsSchema = z.strictObject({
  dedupeWindowMs: z.number().int().min(0).default(60_000).describe('The same reason on the same object is reported once per window'),
})

const controllerMetricsSchema = z.strictObject({
  host: z.string().min(1).default('127.0.0.1').describe('Address of the plain-HTTP /metrics, /livez and /readyz listener'),
  port: port.default(9465).describe('Port of the telemetry listener (0 picks a free port)'),
})

const alertsSchema = z.strictObject({
  enabled: z.boolean().default(false).describe('Serve POST /alertmanager, the Alertmanager webhook receiver'),
  host: z.string().min(1).default('0.0.0.0').describe('Address the receiver listens on'),
  port: port.default(9443).describe('HTTPS port of the receiver (0 picks a free port)'),
  certFile: filePath().optional().describe('Serving certificate (PEM) of the receiver'),
  keyFile: filePath().optional().describe('Its private key (PEM)'),
  bearerTokenFile: filePath().optional().describe('File (a mounted Secret) with the bearer token Alertmanager must send'),
  clientCAFile: filePath().optional().describe('CA whose client certificates are accepted instead of a token (mTLS)'),
  clientNames: z.array(z.string().min(1)).default([]).describe('Common names of the accepted client certificates (empty: any the CA signed; set it when the CA is shared)'),
  reloadIntervalMs: z.number().int().min(100).default(10_000).describe('How often certFile and keyFile are checked for rotation'),
  signalTtlMs: z.number().int().min(1_000).default(300_000).describe('How long a firing alert keeps asking for its pod\'s restart'),
})

export const controllerConfigSchema = z.strictObject({
  kubeconfig: filePath().optional().describe('kubeconfig file; unset uses the in-cluster service account'),
  policies: z.strictObject({
    namespace: z.string().min(1).optional().describe('Only act on policies in this namespace; unset watches all'),
  }).prefault({}),
  leaderElection: leaderElectionSchema.prefault({}),
  reconcile: reconcileSchema.prefault({}),
  eviction: evictionSchema.prefault({}),
  events: controllerEventsSchema.prefault({}),
  metrics: controllerMetricsSchema.prefault({}),
  alerts: alertsSchema.prefault({}),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info').describe('Log level'),
}).superRefine((cfg, ctx) => {
  const le = cfg.leaderElection
  if (le.leaseDurationSeconds * 1000 <= le.renewDeadlineMs) {
    ctx.addIssue({ code: 'custom', path: ['leaderElection', 'renewDeadlineMs'], message: 'must be shorter than leaseDurationSeconds' })
  }
  if (le.renewDeadlineMs <= 1.2 * le.retryPeriodMs) {
    ctx.addIssue({ code: 'custom', path: ['leaderElection', 'retryPeriodMs'], message: 'must be under renewDeadlineMs / 1.2' })
  }
  if (cfg.eviction.initialBackoffMs > cfg.eviction.maxBackoffMs) {
    ctx.addIssue({ code: 'custom', path: ['eviction', 'initialBackoffMs'], message: 'must not exceed maxBackoffMs' })
  }
  const a = cfg.alerts
  if (a.enabled) {
    if (a.certFile === undefined || a.keyFile === undefined) {
      ctx.addIssue({ code: 'custom', path: ['alerts', a.certFile === undefined ? 'certFile' : 'keyFile'], message: 'certFile and keyFile are required when alerts.enabled' })
    }
    if (a.bearerTokenFile === undefined && a.clientCAFile === undefined) {
      ctx.addIssue({ code: 'custom', path: ['alerts', 'bearerTokenFile'], message: 'bearerTokenFile or clientCAFile is required when alerts.enabled (the receiver never runs unauthenticated)' })
    }
  }
})

export type ControllerConfig = z.output<typeof controllerConfigSchema>
