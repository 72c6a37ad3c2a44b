import { gaussianTail, logScaledTail } from '../anomaly/likelihood.js'
import type { PodSignals } from '../ports.js'

// Per-pod anomaly scores: a pod is anomalous when it is worse than its siblings, not when everyone is bad (a
// shared dependency failing is no reason to restart any one pod). Higher is worse for every signal class.

export type PodSignalClass = 'error' | 'latency' | 'saturation'

interface PodScore { pod: string; score: number; class: PodSignalClass; reason: string; value: number; peerMedian: number }

/**
 * minDifference: the smallest difference from the peers that can count, per class, so noise on near-identical
 * pods stays quiet. minScale: the least spread assumed among the peers, per class (a z of 5.6 scores 0.8, the
 * controller's default outlierThreshold), since a few peers that happen to agree say little about the noise.
 */
export interface PodScoreOptions {
  minDifference: Readonly<Record<PodSignalClass, number>>
  minScale: Readonly<Record<PodSignalClass, number>>
  /**
   * The least spread of the error class when the policy gives each pod's request count (podSignals.requestsQuery):
   * the noise of the ratio is then known pod by pod (errorRatioNoise) and takes minScale.error's place above this.
   */
  errorMinScaleWithRequests: number
}

export const POD_SCORE_DEFAULTS: PodScoreOptions = {
  minDifference: { error: 0.02, latency: 0.05, saturation: 0.1 },
  minScale: { error: 0.01, latency: 0.025, saturation: 0.05 },
  errorMinScaleWithRequests: 0.006,
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? (s[m] ?? NaN) : ((s[m - 1] ?? NaN) + (s[m] ?? NaN)) / 2
}

/**
 * The noise of an error ratio over `requests` requests when the pod fails as often as its peers do: the binomial
 * standard error at the peers' pooled ratio (their errors over their requests). Half an error and one request are
 * added to the pool so that peers without a single error do not make a pod's first error look like a certainty.
 * Undefined when the counts cannot say (no requests, or fewer than two peers with a count).
 */
export function errorRatioNoise(requests: number | undefined, peers: ReadonlyArray<{ ratio: number; requests: number | undefined }>): number | undefined {
  if (requests === undefined || !Number.isFinite(requests) || requests <= 0) return undefined
  let errors = 0
  let total = 0
  let counted = 0
  for (const p of peers) {
    if (p.requests === undefined || !Number.isFinite(p.requests) || p.requests <= 0 || !Number.isFinite(p.ratio)) continue
    errors += Math.min(1, Math.max(0, p.ratio)) * p.requests
    total += p.requests
    counted++
  }
  if (counted < 2) return undefined
  const p0 = (errors + 0.5) / (total + 1)
  return Math.sqrt((p0 * (1 - p0)) / requests)
}

/**
 * Scores each pod against the others (leave-one-out median and MAD). Needs at least three pods with values:
 * with fewer there is no majority to compare with, and every score is 0. `requests` (error class only): each pod's
 * request count behind its ratio. A fixed least spread must be wide enough for the pods serving the fewest requests,
 * where a couple of errors move the ratio by points, and is then wider than needed for busy pods; with the counts
 * the spread is each pod's own (errorRatioNoise), above a lower floor (errorMinScaleWithRequests).
 */
export function scorePods(values: ReadonlyMap<string, number>, cls: PodSignalClass, opts: PodScoreOptions = POD_SCORE_DEFAULTS, requests?: ReadonlyMap<string, number>): PodScore[] {
  const entries = [...values].filter(([, v]) => Number.isFinite(v))
  const counts = cls === 'error' ? requests : undefined
  return entries.map(([pod, value]) => {
    const others = entries.filter(([p]) => p !== pod)
    const peers = others.map(([, v]) => v)
    if (peers.length < 2) return { pod, score: 0, class: cls, reason: 'too few peers to compare with', value, peerMedian: NaN }
    const med = median(peers)
    const mad = median(peers.map((v) => Math.abs(v - med)))
    const diff = value - med
    if (diff < opts.minDifference[cls]) return { pod, score: 0, class: cls, reason: `${cls} in line with peers`, value, peerMedian: med }
    const noise = counts === undefined ? undefined : errorRatioNoise(counts.get(pod), others.map(([p, v]) => ({ ratio: v, requests: counts.get(p) })))
    const floor = noise === undefined ? opts.minScale[cls] : Math.max(noise, opts.errorMinScaleWithRequests)
    const scale = Math.max(1.4826 * mad, floor, Math.abs(med) * 0.05)
    const z = diff / scale
    const score = logScaledTail(gaussianTail(z))
    return { pod, score, class: cls, reason: `${cls} ${value.toPrecision(3)} vs peers' median ${med.toPrecision(3)}`, value, peerMedian: med }
  })
}

/**
 * Which class names a pod's anomaly when more than one stands out: a saturated pod's timeouts and slowness are its
 * load's doing, so saturation comes first; errors come before latency, since a failing pod is usually slow too
 * (a bad node raises both, often latency the more) while a slow one (a noisy neighbour) need not be failing.
 */
const CAUSE_RANK: Readonly<Record<PodSignalClass, number>> = { saturation: 2, error: 1, latency: 0 }

/**
 * A score from which a class counts as standing out on its own: the controller's default outlierThreshold. Below it
 * no class is an anomaly by itself, and the highest score names the pod.
 */
export const POD_ANOMALY_SCORE = 0.8

function names(s: PodScore, cur: PodScore): boolean {
  const sOut = s.score >= POD_ANOMALY_SCORE
  const curOut = cur.score >= POD_ANOMALY_SCORE
  if (sOut !== curOut) return sOut
  if (sOut || s.score === cur.score) return CAUSE_RANK[s.class] > CAUSE_RANK[cur.class]
  return s.score > cur.score
}

/** One class per pod: among the classes that stand out, the cause (CAUSE_RANK); else the highest score. */
export function combinePodScores(perClass: readonly PodScore[][]): PodScore[] {
  const best = new Map<string, PodScore>()
  for (const list of perClass) {
    for (const s of list) {
      const cur = best.get(s.pod)
      if (cur === undefined || names(s, cur)) best.set(s.pod, s)
    }
  }
  return [...best.values()].sort((a, b) => a.pod.localeCompare(b.pod))
}

/** The scores the adapter serves as foresight_pod_anomaly_score: every declared signal scored, worst class per pod. */
export function scorePodSignals(signals: PodSignals, opts: PodScoreOptions = POD_SCORE_DEFAULTS): PodScore[] {
  const { requests, ...classes } = signals
  const perClass = (Object.entries(classes) as Array<[PodSignalClass, ReadonlyMap<string, number>]>).map(([cls, values]) => scorePods(values, cls, opts, requests))
  return combinePodScores(perClass)
}
