import type { Logger } from 'pino'
import { policyKey, type Policy } from '../policy/schema.js'
import type { PodSignalName, PrometheusSource } from '../prometheus/source.js'
import { DEFAULT_THRESHOLD } from '../remediation/decide.js'
import { ControllerReplay, type PodSignalHistory } from '../remediation/replay.js'
import type { WorkloadPod } from '../remediation/workload-pods.js'
import { BacktestCliError, parseDurationSeconds, policyFromFile } from './backtest.js'
import { csv, type OutputFormat } from './backtest-output.js'
import { prometheusFromFlags, storeFromFlags, type StoreFlags } from './store-flags.js'

// `foresight backtest --remediation`: the controller's DryRun verdicts over the past, from the user's own
// Prometheus. The policy's podSignals queries are read for the period, and every 15 s (the controller's cadence)
// the adapter's scoring and the controller's round run over what they returned then. The restarts it would have
// made are listed with when and why, before anything is switched to Enforce.

const MINUTE_MS = 60_000
/** Pod signals are read a day at a time: far below the points Prometheus answers per series. */
const CHUNK_MS = 86_400_000
const ROUND_MS = 15_000
/** A pod whose series ends is gone from the pod list this long after its last sample. */
const GONE_AFTER_MS = 2 * MINUTE_MS

/** The recorded podSignals: signal -> pod -> minute -> value. */
export class RecordedSignals implements PodSignalHistory {
  readonly signals: PodSignalName[] = []
  private readonly data = new Map<PodSignalName, Map<string, Map<number, number>>>()

  add(signal: PodSignalName, pod: string, values: Float64Array, startMs: number, stepMs: number): void {
    if (!this.signals.includes(signal)) this.signals.push(signal)
    let byPod = this.data.get(signal)
    if (byPod === undefined) {
      byPod = new Map()
      this.data.set(signal, byPod)
    }
    let series = byPod.get(pod)
    if (series === undefined) {
      series = new Map()
      byPod.set(pod, series)
    }
    values.forEach((v, i) => {
      if (Number.isFinite(v)) series.set(startMs + i * stepMs, v)
    })
  }

  at(signal: PodSignalName, tMs: number): ReadonlyMap<string, number> {
    const out = new Map<string, number>()
    for (const [pod, series] of this.data.get(signal) ?? []) {
      const v = series.get(tMs)
      if (v !== undefined) out.set(pod, v)
    }
    return out
  }

  /** Each pod's first and last sample time, over every signal. */
  lifetimes(): Map<string, { firstMs: number; lastMs: number }> {
    const out = new Map<string, { firstMs: number; lastMs: number }>()
    for (const byPod of this.data.values()) {
      for (const [pod, series] of byPod) {
        for (const t of series.keys()) {
          const cur = out.get(pod)
          out.set(pod, cur === undefined ? { firstMs: t, lastMs: t } : { firstMs: Math.min(cur.firstMs, t), lastMs: Math.max(cur.lastMs, t) })
        }
      }
    }
    return out
  }
}

/** Reads the policy's podSignals over [startMs, endMs] on the minute grid, a day per query. */
async function readPodSignals(source: PrometheusSource, policy: Policy, startMs: number, endMs: number): Promise<RecordedSignals> {
  const recorded = new RecordedSignals()
  for (let from = startMs; from <= endMs; from += CHUNK_MS) {
    const to = Math.min(endMs, from + CHUNK_MS - MINUTE_MS)
    const got = (await source.fetchPodSignals([policy], { startMs: from, endMs: to, stepSeconds: 60 })).get(policyKey(policy)) ?? {}
    for (const [signal, r] of Object.entries(got) as Array<[PodSignalName, NonNullable<(typeof got)[PodSignalName]>]>) {
      if (!r.ok) throw new BacktestCliError(`unable to read the pod signals (${signal}): ${r.error.message}`)
      for (const [pod, w] of r.pods) recorded.add(signal, pod, w.values, w.startMs, w.stepMs)
    }
  }
  return recorded
}

/**
 * The ReplicaSet a Deployment's pod belongs to, from its name (`<replicaset>-<5 characters>`); other names (a
 * StatefulSet's `web-0`) are all the workload's own. History has no owner references: this is how a rollout shows.
 */
export function ownerFromName(pod: string, workload: string): string {
  const m = /^(.+)-[a-z0-9]{5}$/.exec(pod)
  return m?.[1] !== undefined && m[1].startsWith(`${workload}-`) ? m[1] : workload
}

/** The workload's pods at `tMs` as the series show them: from their first sample until shortly after their last. */
export function podsAt(life: ReadonlyMap<string, { firstMs: number; lastMs: number }>, tMs: number, historyStartMs: number, workload: string): WorkloadPod[] {
  const out: WorkloadPod[] = []
  for (const [name, l] of life) {
    if (tMs < l.firstMs || tMs > l.lastMs + GONE_AFTER_MS) continue
    // A pod already there when the history starts is taken as old: its age is unknown, not zero.
    const created = l.firstMs <= historyStartMs ? historyStartMs - 86_400_000 : l.firstMs
    out.push({ name, creationTimestamp: new Date(created), ready: true, phase: 'Running', owner: ownerFromName(name, workload) })
  }
  return out
}

interface WouldRestart { timeMs: number; pod: string; reason: string; message: string; score?: number; class?: string }

interface RemediationBacktest {
  policy: string
  startMs: number
  endMs: number
  pods: number
  rounds: number
  restarts: WouldRestart[]
  /** Rounds in which an outlier was held back, by reason (MostPodsFailing, NotSustained, ...). */
  heldBack: Record<string, number>
}

/** Replays the controller over recorded signals: a refresh and a round every 15 s, as the controller runs. */
export async function replayRemediation(policy: Policy, recorded: RecordedSignals, startMs: number, endMs: number, threshold = DEFAULT_THRESHOLD): Promise<RemediationBacktest> {
  const replay = new ControllerReplay({ policy, history: recorded, threshold })
  const life = recorded.lifetimes()
  const restarts: WouldRestart[] = []
  const heldBack: Record<string, number> = {}
  let rounds = 0
  const first = Math.ceil(startMs / ROUND_MS) * ROUND_MS
  for (let t = first; t <= endMs; t += ROUND_MS) {
    await replay.refresh(t)
    const round = await replay.round(t + 5_000, podsAt(life, t + 5_000, startMs, policy.spec.scaleTargetRef.name))
    rounds++
    for (const d of round.decisions) {
      if (round.outcomes.get(d.pod) === 'WouldRestart') {
        restarts.push({ timeMs: t + 5_000, pod: d.pod, reason: d.reason, message: d.message, ...(d.score !== undefined ? { score: d.score } : {}), ...(d.class !== undefined ? { class: d.class } : {}) })
      } else if (d.action === 'skip' && d.reason !== 'NotOutlier') {
        heldBack[d.reason] = (heldBack[d.reason] ?? 0) + 1
      }
    }
  }
  return { policy: policyKey(policy), startMs, endMs, pods: life.size, rounds, restarts, heldBack }
}

function remediationReport(b: RemediationBacktest, policy: Policy): string {
  const r = policy.spec.remediation
  const lines: string[] = []
  lines.push(`# remediation backtest of ${b.policy}: ${new Date(b.startMs).toISOString()} .. ${new Date(b.endMs).toISOString()}, ${b.pods} pods seen in the podSignals series`)
  lines.push(`# the controller's DryRun decisions every 15 s: sustainedSeconds ${r.sustainedSeconds}, classes ${r.classes.join(',')}, minPodAgeSeconds ${r.minPodAgeSeconds}, podCooldownSeconds ${r.podCooldownSeconds}, workloadCooldownSeconds ${r.workloadCooldownSeconds}, maxRestartsPerHour ${r.maxRestartsPerHour}`)
  lines.push('# pods are taken from the series (owner from the pod name); evictions it would have made are not played back into the signals')
  lines.push('')
  if (b.restarts.length === 0) lines.push('no restarts: no pod would have been restarted')
  else {
    const w = Math.max(3, ...b.restarts.map((x) => x.pod.length))
    lines.push(`${'time'.padEnd(24)}  ${'pod'.padEnd(w)}  ${'class'.padEnd(7)}  score  why`)
    for (const x of b.restarts) lines.push(`${new Date(x.timeMs).toISOString().padEnd(24)}  ${x.pod.padEnd(w)}  ${(x.class ?? '-').padEnd(7)}  ${(x.score ?? 0).toFixed(2).padStart(5)}  ${x.message}`)
    lines.push('')
    lines.push(`${b.restarts.length} restart(s) of ${new Set(b.restarts.map((x) => x.pod)).size} pod(s) in ${b.rounds} rounds`)
  }
  const held = Object.entries(b.heldBack).sort((a, c) => c[1] - a[1])
  if (held.length > 0) lines.push(`outliers held back (pod-rounds): ${held.map(([k, n]) => `${k} ${n}`).join(', ')}`)
  return `${lines.join('\n')}\n`
}

interface RemediationCliOptions extends StoreFlags {
  policy: string
  name?: string
  since: string
  outlierThreshold?: string
  output?: OutputFormat
}

/** One row per restart it would have made. */
export function remediationCsv(b: RemediationBacktest): string {
  return csv(['time', 'policy', 'pod', 'class', 'score', 'reason', 'message'], b.restarts.map((x) => [new Date(x.timeMs).toISOString(), b.policy, x.pod, x.class, x.score, x.reason, x.message]))
}

export async function remediationBacktestCommand(o: RemediationCliOptions, log: Logger): Promise<string> {
  const store = storeFromFlags(o)
  const policy = policyFromFile(o.policy, o.name)
  if (policy.spec.podSignals === undefined || (policy.spec.podSignals.errorRatioQuery ?? policy.spec.podSignals.latencyQuery ?? policy.spec.podSignals.saturationQuery) === undefined) {
    throw new BacktestCliError(`policy ${policyKey(policy)} has no spec.podSignals queries: the controller restarts its pods only for alerts, there is nothing to replay`)
  }
  const threshold = o.outlierThreshold !== undefined ? Number(o.outlierThreshold) : DEFAULT_THRESHOLD
  if (!(threshold > 0 && threshold <= 1)) throw new BacktestCliError(`--outlier-threshold: a number in (0, 1], not "${o.outlierThreshold ?? ''}"`)
  const endMs = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS
  const startMs = endMs - parseDurationSeconds(o.since) * 1000
  const { source, client } = prometheusFromFlags(store, log)
  try {
    // Five minutes before the period: the adapter reads the newest value of the last five minutes.
    const recorded = await readPodSignals(source, policy, startMs - 5 * MINUTE_MS, endMs)
    const result = await replayRemediation(policy, recorded, startMs, endMs, threshold)
    if (o.output === 'json') return `${JSON.stringify(result, null, 1)}\n`
    return o.output === 'csv' ? remediationCsv(result) : remediationReport(result, policy)
  } finally {
    client.close()
  }
}
