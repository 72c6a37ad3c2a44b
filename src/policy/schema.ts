import { z } from 'zod'
import { REASONS } from '../names.js'

// ForesightPolicy (foresight.dev/v1alpha1): the single source of truth for the resource. The TypeScript types, the
// CRD's openAPIV3Schema in deploy/ and the admission webhook's checks are all derived from these schemas.

export const GROUP = 'foresight.dev'
export const VERSION = 'v1alpha1'
export const KIND = 'ForesightPolicy'
export const PLURAL = 'foresightpolicies'

const name = z.string().min(1).max(253).regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a lowercase RFC 1123 name')
/** Longest PromQL query a policy may hold; also what checkPromQL parses at most. */
export const MAX_QUERY_CHARS = 4096
const promql = z.string().min(1).max(MAX_QUERY_CHARS)

export const scaleTargetRefSchema = z.strictObject({
  apiVersion: z.string().min(1).default('apps/v1').describe('API version of the scaled workload'),
  kind: z.enum(['Deployment', 'StatefulSet', 'ReplicaSet']).default('Deployment').describe('Kind of the scaled workload'),
  name: name.describe('Name of the scaled workload, in the policy\'s namespace'),
})

const loadSchema = z.strictObject({
  query: promql.describe('PromQL returning ONE series: the load the workload serves (for example requests per second)'),
  capacityPerReplica: z.number().positive().describe('Load one replica serves, in the query\'s unit; spec.targetUtilization is the share of it the forecast may use'),
})

const scaleDownSchema = z.strictObject({
  stabilizationSeconds: z.number().int().min(0).max(3600).default(300).describe('A lower recommendation must hold this long before it is served'),
  maxDecreasePercentPerMinute: z.number().min(1).max(100).default(100).describe('Largest share of replicas removed per minute, once the stabilization window has passed (100: all at once, as an HPA scales down by default)'),
})

const podSignalsSchema = z.strictObject({
  podLabel: z.string().min(1).default('pod').describe('Series label that names the pod'),
  errorRatioQuery: promql.optional().describe('PromQL returning one series per pod: share of failed requests (0..1)'),
  latencyQuery: promql.optional().describe('PromQL returning one series per pod: request latency in seconds'),
  saturationQuery: promql.optional().describe('PromQL returning one series per pod: saturation (0..1), such as CPU use over limit'),
  requestsQuery: promql.optional().describe('PromQL returning one series per pod: the number of requests its error ratio is computed over (increase over the errorRatioQuery\'s window). With it, the error outlier margin follows the noise of a ratio of that many requests: wider for a pod serving few, tighter for a busy one'),
})

export const remediationSchema = z.strictObject({
  mode: z.enum(['Off', 'DryRun', 'Enforce']).default('DryRun').describe('Off: never act; DryRun: report what would be restarted; Enforce: evict'),
  maxUnavailable: z.number().int().min(1).max(100).default(1).describe('Most pods of the workload being restarted at once'),
  maxRestartsPerHour: z.number().int().min(0).max(100).default(3).describe('Restart budget of the policy per rolling hour'),
  podCooldownSeconds: z.number().int().min(0).max(86_400).default(900).describe('Least time between two restarts of the same pod'),
  workloadCooldownSeconds: z.number().int().min(0).max(86_400).default(300).describe('Least time between two restarts in the workload; a pod that was an outlier already before the last restart does not wait for it (maxUnavailable and the hourly budget still hold)'),
  minPodAgeSeconds: z.number().int().min(0).max(86_400).default(300).describe('Pods younger than this are never restarted'),
  sustainedSeconds: z.number().int().min(0).max(3600).default(300).describe('How long a pod must stay an outlier before it is restarted'),
  classes: z.array(z.enum(['error', 'latency'])).min(1).max(2).default(['error']).describe('Anomaly classes a restart is tried for: error (failing more than its siblings); latency (slower than them, as with a leak, but also whenever a noisy neighbour slows its node)'),
  acceptAlerts: z.boolean().default(false).describe('Let Alertmanager alerts that name this policy ask for restarts (the controller\'s alert receiver must be enabled too)'),
})

const fallbackSchema = z.strictObject({
  failureThreshold: z.number().int().min(1).max(100).default(3).describe('Failed refreshes before the fallback is served'),
  behavior: z.enum(['static', 'currentReplicas', 'currentReplicasIfHigher']).default('currentReplicasIfHigher').describe('What to serve once the data source has failed'),
  replicas: z.number().int().min(1).optional().describe('Replica count served by the static fallback'),
})

/**
 * Above 1 the p90 forecast is provisioned only in part (1.5: two thirds of it). The bound keeps the knob where its
 * cost and shortfall are measured (bench:autoscale and `foresight backtest` sweep up to it); a larger value would
 * more likely be a percentage or a typo than a choice.
 */
export const MAX_TARGET_UTILIZATION = 1.5

export const policySpecSchema = z.strictObject({
  scaleTargetRef: scaleTargetRefSchema,
  load: loadSchema,
  targetUtilization: z.number().gt(0).max(MAX_TARGET_UTILIZATION).default(1).describe('Share of capacityPerReplica the upper (p90) forecast of the load when new pods are Ready may use: 1 uses all of it, 0.8 keeps 25 % headroom (more replica-minutes, fewer under-provisioned minutes); above 1 (at most 1.5) provisions below the p90, for when capacityPerReplica is a cautious estimate or cost matters more (1.25 provisions for 80 % of it); the observed load is always provisioned in full'),
  horizonSeconds: z.number().int().min(60).max(1800).default(300).describe('When pods asked for now are Ready (pod start-up time plus HPA lag): the load forecast for then, through one step more, is provisioned for'),
  historySeconds: z.number().int().min(3600).max(86_400).default(3600).describe('Recent history kept for each forecast: at least the 60 steps the model reads (it reads only the newest 60)'),
  stepSeconds: z.number().int().min(15).max(600).default(60).describe('Resolution of the history read from Prometheus'),
  minReplicas: z.number().int().min(1).default(1).describe('Fewest replicas recommended'),
  maxReplicas: z.number().int().min(1).max(10_000).describe('Most replicas recommended'),
  scaleDown: scaleDownSchema.prefault({}),
  podSignals: podSignalsSchema.optional(),
  remediation: remediationSchema.prefault({}),
  fallback: fallbackSchema.prefault({}),
  maxStalenessSeconds: z.number().int().min(15).max(3600).default(120).describe('How long the last good value is served while the data source fails'),
}).superRefine((spec, ctx) => {
  if (spec.minReplicas > spec.maxReplicas) ctx.addIssue({ code: 'custom', path: ['minReplicas'], message: 'must not exceed maxReplicas' })
  if (spec.fallback.behavior === 'static' && spec.fallback.replicas === undefined) {
    ctx.addIssue({ code: 'custom', path: ['fallback', 'replicas'], message: 'required when fallback.behavior is static' })
  }
})

export const conditionSchema = z.object({
  type: z.string(),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string(),
  message: z.string(),
  lastTransitionTime: z.string(),
  observedGeneration: z.number().int().optional(),
})

export const policyStatusSchema = z.object({
  observedGeneration: z.number().int().optional(),
  conditions: z.array(conditionSchema).optional(),
  desiredReplicas: z.number().int().optional(),
  reason: z.enum(REASONS).optional().describe('How the replica count now served was made: Predicted, ColdStart, StaleValue, Fallback or NoData (label foresight.dev/reason)'),
  lastRefreshTime: z.string().optional(),
  modelVersion: z.string().optional(),
  lastRemediation: z.object({ pod: z.string(), time: z.string(), action: z.string(), reason: z.string() }).optional(),
  restartsInWindow: z.array(z.object({ pod: z.string(), time: z.string() })).optional().describe('Restarts in the last hour: the durable record the restart budget is counted from'),
})

export const policySchema = z.object({
  apiVersion: z.literal(`${GROUP}/${VERSION}`),
  kind: z.literal(KIND),
  metadata: z.object({
    name,
    namespace: z.string().min(1).max(63).default('default'),
    uid: z.string().optional(),
    generation: z.number().int().optional(),
    resourceVersion: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  }).loose(),
  spec: policySpecSchema,
  status: policyStatusSchema.optional(),
})

export type PolicySpec = z.output<typeof policySpecSchema>
export type PolicyStatus = z.output<typeof policyStatusSchema>
export type Policy = z.output<typeof policySchema>
export type PolicyInput = z.input<typeof policySchema>
export type Condition = z.output<typeof conditionSchema>

/** namespace/name: how policies are keyed everywhere (defined apart so the engine's thread need not load zod). */
export { policyKey } from './key.js'
