import type { PolicyResult } from './types.js'
import { formatAdaptive } from '../forecast/adaptive-text.js'

const fmt = (v: number | undefined, digits = 4): string => (v === undefined || !Number.isFinite(v) ? '-' : Number(v.toPrecision(digits)).toString())
const when = (ms: number): string => (ms > 0 ? new Date(ms).toISOString() : '-')

/** Human-readable account of how a policy's replica count was derived (`foresight explain`). */
export function formatExplanation(r: PolicyResult): string {
  const e = r.explain
  const lines = [
    `policy            ${r.policy}`,
    `served            ${r.desiredReplicas ?? 'nothing (the API answers 503; the HPA keeps the current count)'}  (${r.reason})`,
    `why               ${r.message}`,
    `model             ${r.modelVersion}`,
    `data time         ${when(r.dataTimeMs)} (computed ${when(r.computedAtMs)})`,
    '',
    'inputs',
    `  step            ${e.stepSeconds}s; horizon ${e.horizonSteps} steps (${e.horizonSteps * e.stepSeconds}s)${e.requestedHorizonSeconds !== undefined ? `, clamped: spec.horizonSeconds is ${e.requestedHorizonSeconds}s but the model forecasts ${e.horizonSteps} steps` : ''}`,
    `  recent window   ${e.recentWindow !== undefined ? `${e.recentWindow.samples} samples from ${when(e.recentWindow.startMs)}, ${e.recentWindow.missing} missing after bridging gaps` : 'not read'}`,
    `  seasonal        day ${e.seasonalAvailable?.day === true ? 'yes' : 'no'}, week ${e.seasonalAvailable?.week === true ? 'yes' : 'no'}`,
    '',
    'derivation',
    `  observed load   ${fmt(e.observedLoad)} -> ${e.presentReplicas ?? '-'} replicas at ${fmt(e.capacityPerReplica)} per replica (full capacity: the floor)`,
    e.forecastReplicas !== undefined
      ? `  forecast        p90${e.adaptive !== undefined ? ' band (the adapted median plus the model\'s p90 - p50: below)' : ''} when new pods are ready (steps ${e.horizonSteps}-${e.horizonSteps + 1}) ${fmt(e.peakForecastLoad)} -> ${e.forecastReplicas} replicas at ${fmt(100 * (e.targetUtilization ?? 1), 3)}% target utilisation (${fmt(e.capacityPerReplica * (e.targetUtilization ?? 1))} per replica)`
      : '  forecast        none (no model forecast this refresh)',
    r.forecast !== undefined ? `  at horizon      p10 ${fmt(r.forecast.p10)}  p50 ${fmt(r.forecast.p50)}  p90 ${fmt(r.forecast.p90)}` : undefined,
    `  recommended     max(forecast, present) clamped to [${e.bounds.minReplicas}, ${e.bounds.maxReplicas}] = ${e.recommendedReplicas ?? '-'}`,
    `  after damping   ${e.dampedReplicas ?? '-'} (scale-down waits for the stabilization window and is rate limited)`,
    r.anomaly !== undefined ? `  anomaly         ${fmt(r.anomaly.score, 3)} (${r.anomaly.class}: ${r.anomaly.reason})` : undefined,
    ...(e.adaptive !== undefined ? ['', ...formatAdaptive(e.adaptive)] : []),
    e.errors.length > 0 ? `\nerrors (${e.failures} consecutive failed refreshes)\n${e.errors.map((x) => `  ${x}`).join('\n')}` : undefined,
  ]
  return lines.filter((l) => l !== undefined).join('\n') + '\n'
}
