import { gaussianTail, logScaledTail } from '../anomaly/likelihood.js'
import type { PodSignals } from '../ports.js'

// Per-pod anomaly scores: a pod is anomalous when it is worse than its siblings, not when everyone is bad (a
// shared dependency failing is no reason to restart any one pod). Higher is worse for every signal class.

type PodSignalClass = 'error' | 'latency' | 'saturation'

interface PodScore { pod: string; score: number; class: PodSignalClass; reason: string; value: number; peerMedian: number }

/** Smallest difference from the peers that can count, per class, so noise on near-identical pods stays quiet. */
const MIN_DIFFERENCE: Readonly<Record<PodSignalClass, number>> = { error: 0.02, latency: 0.05, saturation: 0.1 }

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? (s[m] ?? NaN) : ((s[m - 1] ?? NaN) + (s[m] ?? NaN)) / 2
}

/**
 * Scores each pod against the others (leave-one-out median and MAD). Needs at least three pods with values:
 * with fewer there is no majority to compare with, and every score is 0.
 */
export function scorePods(values: ReadonlyMap<string, number>, cls: PodSignalClass): PodScore[] {
  const entries = [...values].filter(([, v]) => Number.isFinite(v))
  return entries.map(([pod, value]) => {
    const peers = entries.filter(([p]) => p !== pod).map(([, v]) => v)
    if (peers.length < 2) return { pod, score: 0, class: cls, reason: 'too few peers to compare with', value, peerMedian: NaN }
    const med = median(peers)
    const mad = median(peers.map((v) => Math.abs(v - med)))
    const diff = value - med
    if (diff < MIN_DIFFERENCE[cls]) return { pod, score: 0, class: cls, reason: `${cls} in line with peers`, value, peerMedian: med }
    const scale = Math.max(1.4826 * mad, MIN_DIFFERENCE[cls] / 2, Math.abs(med) * 0.05)
    const z = diff / scale
    const score = logScaledTail(gaussianTail(z))
    return { pod, score, class: cls, reason: `${cls} ${value.toPrecision(3)} vs peers' median ${med.toPrecision(3)}`, value, peerMedian: med }
  })
}

/** Worst class per pod. */
export function combinePodScores(perClass: readonly PodScore[][]): PodScore[] {
  const best = new Map<string, PodScore>()
  for (const list of perClass) {
    for (const s of list) {
      const cur = best.get(s.pod)
      if (cur === undefined || s.score > cur.score) best.set(s.pod, s)
    }
  }
  return [...best.values()].sort((a, b) => a.pod.localeCompare(b.pod))
}

/** The scores the adapter serves as foresight_pod_anomaly_score: every declared signal scored, worst class per pod. */
export function scorePodSignals(signals: PodSignals): PodScore[] {
  const perClass = (Object.entries(signals) as Array<[PodSignalClass, ReadonlyMap<string, number>]>).map(([cls, values]) => scorePods(values, cls))
  return combinePodScores(perClass)
}
