import { pino } from 'pino'
import { Registry } from 'prom-client'
import { podSignalReader } from '../prometheus/pod-signals.js'
import { toExternalMetricValue } from '../api/external-metrics.js'
import { EngineMetricProvider } from '../engine/metric-provider.js'
import { METRIC } from '../names.js'
import { POD_SCORE_DEFAULTS, scorePodSignals, type PodScoreOptions } from '../engine/pods.js'
import type { PolicyResult, ServingEngine } from '../engine/types.js'
import type { PodSignalReader, PodSignals as PodSignalsRead, Window } from '../ports.js'
import type { EventRecorder } from '../kube/events.js'
import { policyKey, type Policy } from '../policy/schema.js'
import type { StatusClient } from '../policy/status.js'
import type { FetchRange, PodSignalName, PodSignalWindows as PodSignals, PrometheusSource } from '../prometheus/source.js'
import { DEFAULT_STALE_AFTER_MS, DEFAULT_THRESHOLD } from './decide.js'
import type { Evictor } from './evict.js'
import { remediationMetrics } from './metrics.js'
import { parseScoreList } from './pod-scores.js'
import { Remediator, type RoundResult } from './reconcile.js'
import type { WorkloadPod } from './workload-pods.js'

// The remediation path, replayed over recorded pod signals with a clock of its own: the adapter's pod signal read
// (newest value per pod in the last minutes, on the minute grid), its scoring, foresight_pod_anomaly_score as the
// external metrics API renders it, the controller's parse of that list, and the controller's round itself
// (Remediator in DryRun, so its own restart record keeps the budgets and cooldowns as Enforce would). Only the
// transport is left out: no HTTP, no kube-apiserver. The benchmark and `foresight backtest --remediation` run
// through here, so what they report is what the controller would have done.

/** Per-pod values of the policy's podSignals queries, as Prometheus would answer them, on the minute grid. */
export interface PodSignalHistory {
  /** The signals the policy declares. */
  readonly signals: readonly PodSignalName[]
  /** Every pod's value of `signal` at `tMs` (a multiple of one minute); pods without a sample are absent. */
  at(signal: PodSignalName, tMs: number): ReadonlyMap<string, number>
}

interface ReplayOptions {
  /** Its remediation settings are used as they are, except the mode: the replay always decides as DryRun does. */
  policy: Policy
  history: PodSignalHistory
  /** Controller settings (reconcile.outlierThreshold, reconcile.staleAfterMs); the defaults when absent. */
  threshold?: number
  staleAfterMs?: number
  /** Longest dip under threshold that keeps a streak; decide's default when absent (the benchmark's grid tries others). */
  dipToleranceMs?: number
  /** The adapter's pod scoring settings; its defaults when absent (the benchmark's grid tries others). */
  scoring?: PodScoreOptions
}

const MINUTE_MS = 60_000

/** A PrometheusSource that answers fetchPodSignals from a recorded history (the only call the pod signal read makes). */
function recordedSource(policy: Policy, history: PodSignalHistory): PrometheusSource {
  const source = {
    fetchPodSignals(policies: readonly Policy[], range: FetchRange): Promise<Map<string, PodSignals>> {
      const stepMs = range.stepSeconds * 1000
      const n = Math.floor((range.endMs - range.startMs) / stepMs) + 1
      const signals: PodSignals = {}
      // Only what the policy's queries would return: a recorded signal the policy does not declare is not read.
      const declared = policy.spec.podSignals ?? {}
      for (const name of history.signals.filter((n) => (declared as Record<string, unknown>)[`${n}Query`] !== undefined)) {
        const pods = new Map<string, Window>()
        for (let i = 0; i < n; i++) {
          for (const [pod, v] of history.at(name, range.startMs + i * stepMs)) {
            let w = pods.get(pod)
            if (w === undefined) {
              w = { values: new Float64Array(n).fill(NaN), startMs: range.startMs, stepMs }
              pods.set(pod, w)
            }
            w.values[i] = v
          }
        }
        signals[name] = { ok: true, pods }
      }
      return Promise.resolve(new Map(policies.filter((p) => policyKey(p) === policyKey(policy)).map((p) => [policyKey(p), signals])))
    },
  }
  // The pod signal read calls nothing else on the source.
  return source as unknown as PrometheusSource
}

/** The adapter's result at its latest refresh: the pod scores and the time they carry. */
interface Scored { result: PolicyResult }

export class ControllerReplay {
  private readonly policy: Policy
  private readonly reader: PodSignalReader
  private readonly remediator: Remediator
  private readonly metricSource: EngineMetricProvider
  private readonly scoring: PodScoreOptions
  private scored: Scored | undefined
  /** The scored result per minute of data: refreshes within one minute read the same values. */
  private scoredMinute = Number.NaN
  private nowMs = 0
  /** The pod list of the round in progress. */
  private listed: readonly WorkloadPod[] = []

  constructor(opts: ReplayOptions) {
    const spec = opts.policy.spec
    this.policy = { ...opts.policy, spec: { ...spec, remediation: { ...spec.remediation, mode: 'DryRun' } } }
    this.reader = podSignalReader(recordedSource(this.policy, opts.history))
    this.scoring = opts.scoring ?? POD_SCORE_DEFAULTS
    const engine: ServingEngine = {
      refresh: () => Promise.resolve({ timings: { historyMs: 0, featuresMs: 0, inferenceMs: 0 } }),
      result: () => this.scored?.result,
      allResults: () => (this.scored !== undefined ? [this.scored.result] : [])[Symbol.iterator](),
      resultsNamed: () => (this.scored !== undefined ? [this.scored.result] : [])[Symbol.iterator](),
    }
    this.metricSource = new EngineMetricProvider(engine)
    const unused = (): never => {
      throw new Error('a replayed DryRun round writes no status')
    }
    const status: StatusClient = { get: unused, patch: unused }
    this.remediator = new Remediator({
      log: pino({ level: 'silent' }),
      listPods: () => Promise.resolve([...this.listed]),
      readScores: (namespace, name) => Promise.resolve(parseScoreList(this.scoreList(namespace, name), name, this.nowMs)),
      status,
      // DryRun asks the evictor only which pods are backing off: none, since nothing is evicted for real.
      evictor: { blockedUntil: () => new Map<string, number>() } as unknown as Evictor,
      events: { emit: () => Promise.resolve(true) } as unknown as EventRecorder,
      metrics: remediationMetrics(new Registry()),
      // Not the leader: the round decides and keeps its DryRun record, and writes no condition anywhere.
      isLeader: () => false,
      threshold: opts.threshold ?? DEFAULT_THRESHOLD,
      staleAfterMs: opts.staleAfterMs ?? DEFAULT_STALE_AFTER_MS,
      ...(opts.dipToleranceMs !== undefined ? { dipToleranceMs: opts.dipToleranceMs } : {}),
      requestTimeoutMs: 1000,
      alertTtlMs: 0,
      now: () => this.nowMs,
    })
  }

  /** One adapter refresh at `nowMs`: the pod signal read and the scores, as the engine computes them. */
  async refresh(nowMs: number): Promise<void> {
    const minute = Math.floor(nowMs / MINUTE_MS)
    if (minute === this.scoredMinute) return
    const key = policyKey(this.policy)
    const read = (await this.reader.read([this.policy], nowMs)).get(key)
    const stepMs = this.policy.spec.stepSeconds * 1000
    // As the engine tells a failed read from the signals (whose error class is also called `error`).
    const failed = read === undefined || ('error' in read && typeof read.error === 'string')
    const pods = failed ? [] : scorePodSignals(read as PodSignalsRead, this.scoring).map(({ pod, score, class: cls, reason }) => ({ pod, score, class: cls, reason }))
    // The engine stamps its result with the newest load sample (the step the refresh falls in, when Prometheus
    // has it); the controller reads the scores' age from that stamp.
    const dataTimeMs = Math.floor(nowMs / stepMs) * stepMs
    this.scored = {
      result: {
        policy: key, namespace: this.policy.metadata.namespace, name: this.policy.metadata.name,
        desiredReplicas: 1, reason: 'Predicted', message: '', dataTimeMs, computedAtMs: nowMs, modelVersion: 'replay',
        explain: { stepSeconds: this.policy.spec.stepSeconds, horizonSteps: 1, capacityPerReplica: 1, bounds: { minReplicas: 1, maxReplicas: 1 }, failures: 0, errors: [] },
        pods,
      },
    }
    this.metricSource.markRefreshed()
    this.scoredMinute = minute
  }

  /** The latest scores, as the external metrics API answers the controller's list call. */
  private scoreList(namespace: string, name: string): unknown {
    const q = this.metricSource.query(namespace, METRIC.podAnomalyScore, new Set([name]))
    return { kind: 'ExternalMetricValueList', apiVersion: 'external.metrics.k8s.io/v1beta1', metadata: {}, items: q.state === 'ok' ? q.items.map(toExternalMetricValue) : [] }
  }

  /** One controller round at `nowMs` over the workload's pods as listed then. */
  async round(nowMs: number, pods: readonly WorkloadPod[]): Promise<RoundResult> {
    this.nowMs = nowMs
    this.listed = pods
    return this.remediator.reconcile(this.policy)
  }
}
