import type { PodSignalReader, PodSignals } from '../ports.js'
import { policyKey } from '../policy/key.js'
import type { PodSignalName, PrometheusSource } from './source.js'

const CLASS: Readonly<Record<PodSignalName, 'error' | 'latency' | 'saturation' | 'requests'>> = { errorRatio: 'error', latency: 'latency', saturation: 'saturation', requests: 'requests' }
/** How far back a pod's newest sample may lie and still count as its current value. */
const POD_LOOKBACK_MS = 5 * 60_000
/**
 * A pod whose newest sample is this much older than the newest of any pod has no series any more (replaced by a
 * rollout, evicted, scaled away): its last values would stay peers of the pods that replaced it for the rest of the
 * lookback. After a bad rollout the new pods, all failing alike, were outliers against the old pods' healthy values
 * until those aged out, and most-pods-failing could not hold them all back (bench:remediation, bad-rollout).
 */
const GONE_BEHIND_MS = 2 * 60_000

/** Per-pod signals as the engine wants them: the newest value of each pod in the last few minutes. */
export function podSignalReader(prom: PrometheusSource): PodSignalReader {
  return {
    async read(policies, atMs): Promise<Map<string, PodSignals | { error: string }>> {
      const stepSeconds = 60
      const endMs = Math.floor(atMs / 60_000) * 60_000
      const raw = await prom.fetchPodSignals(policies, { startMs: endMs - POD_LOOKBACK_MS, endMs, stepSeconds })
      const out = new Map<string, PodSignals | { error: string }>()
      for (const p of policies) {
        const signals = raw.get(policyKey(p))
        if (signals === undefined) continue
        const result: PodSignals = {}
        const errors: string[] = []
        for (const [name, r] of Object.entries(signals) as Array<[PodSignalName, NonNullable<(typeof signals)[PodSignalName]>]>) {
          if (!r.ok) { errors.push(`${name}: ${r.error.message}`); continue }
          const newest = new Map<string, { value: number; timeMs: number }>()
          for (const [pod, w] of r.pods) {
            for (let i = w.values.length - 1; i >= 0; i--) {
              const v = w.values[i]
              if (v !== undefined && Number.isFinite(v)) { newest.set(pod, { value: v, timeMs: w.startMs + i * w.stepMs }); break }
            }
          }
          const freshestMs = Math.max(...[...newest.values()].map((x) => x.timeMs))
          const latest = new Map<string, number>()
          for (const [pod, x] of newest) if (freshestMs - x.timeMs <= GONE_BEHIND_MS) latest.set(pod, x.value)
          result[CLASS[name]] = latest
        }
        out.set(policyKey(p), errors.length > 0 && Object.keys(result).length === 0 ? { error: errors.join('; ') } : result)
      }
      return out
    },
  }
}
