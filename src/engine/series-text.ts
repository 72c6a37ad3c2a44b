import { turnBefore } from './turns.js'
import type { PolicyResult } from './types.js'
import { METRIC } from '../names.js'

// Every policy's series in the Prometheus text format, written straight from the results. The engine's worker
// renders them once per refresh: prom-client gauges would keep a label object, a hash key and a value per series
// (60,000 series at 10,000 policies, about 12 MiB kept and as much again made per refresh, bench:memory) only to be
// rendered into the same text. The help texts and the layout are those of PolicyGauges (src/engine/gauges.ts), so
// /metrics reads the same whichever renders it.

interface Family { name: string; help: string; lines: string[] }

/** What PolicyGauges declares, in its order. */
export const POLICY_SERIES_HELP: ReadonlyArray<readonly [string, string]> = [
  [METRIC.desiredReplicas, 'Replica count served to the HPA'],
  [METRIC.forecastLoad, 'Forecast load at the policy horizon'],
  [METRIC.observedLoad, 'Newest observed load'],
  [METRIC.anomalyScore, 'Workload anomaly score in [0,1]'],
  [METRIC.podAnomalyScore, 'Pod anomaly score in [0,1] against its siblings'],
]

function labelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')
}

function sampleValue(v: number): string {
  if (Number.isNaN(v)) return 'Nan'
  if (!Number.isFinite(v)) return v < 0 ? '-Inf' : '+Inf'
  return String(v)
}

/**
 * The series of `results` (desired replicas, forecast quantiles, observed load, anomaly and pod anomaly scores),
 * built in turns of the event loop. A result without a value has no series for it, as with PolicyGauges.
 */
export async function renderPolicySeries(results: Iterable<PolicyResult>): Promise<string> {
  const [desired, forecast, observed, anomaly, pods] = POLICY_SERIES_HELP.map(([name, help]): Family => ({ name, help, lines: [] })) as [Family, Family, Family, Family, Family]
  let i = 0
  for (const r of results) {
    await turnBefore(i++)
    const base = `namespace="${labelValue(r.namespace)}",policy="${labelValue(r.name)}"`
    if (r.desiredReplicas !== undefined) desired.lines.push(`${desired.name}{${base},reason="${labelValue(r.reason)}"} ${sampleValue(r.desiredReplicas)}`)
    if (r.observedLoad !== undefined) observed.lines.push(`${observed.name}{${base}} ${sampleValue(r.observedLoad)}`)
    if (r.forecast !== undefined) {
      const horizon = `horizon="${r.forecast.horizonSeconds}s"`
      forecast.lines.push(
        `${forecast.name}{${base},quantile="0.1",${horizon}} ${sampleValue(r.forecast.p10)}`,
        `${forecast.name}{${base},quantile="0.5",${horizon}} ${sampleValue(r.forecast.p50)}`,
        `${forecast.name}{${base},quantile="0.9",${horizon}} ${sampleValue(r.forecast.p90)}`,
      )
    }
    if (r.anomaly !== undefined) anomaly.lines.push(`${anomaly.name}{${base},class="${labelValue(r.anomaly.class)}"} ${sampleValue(r.anomaly.score)}`)
    for (const p of r.pods ?? []) pods.lines.push(`${pods.name}{${base},pod="${labelValue(p.pod)}",class="${labelValue(p.class)}"} ${sampleValue(p.score)}`)
  }
  return [desired, forecast, observed, anomaly, pods].map((f) => [`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} gauge`, ...f.lines].join('\n')).join('\n\n') + '\n'
}
