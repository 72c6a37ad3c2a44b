import { stringify } from 'yaml'
import type { ServedExplanation } from './served.js'

export const OUTPUT_FORMATS = ['text', 'json', 'yaml'] as const
export type OutputFormat = (typeof OUTPUT_FORMATS)[number]

export function isOutputFormat(s: string): s is OutputFormat {
  return (OUTPUT_FORMATS as readonly string[]).includes(s)
}

/** `foresight explain` output: JSON and YAML carry the whole explanation, text is for reading. */
export function formatServed(e: ServedExplanation, format: OutputFormat): string {
  if (format === 'json') return `${JSON.stringify(e, null, 2)}\n`
  if (format === 'yaml') return stringify(e, { lineWidth: 0 })
  return servedText(e)
}

const num = (v: number): string => Number(v.toPrecision(4)).toString()

function servedText(e: ServedExplanation): string {
  const s = e.served
  const d = s.desiredReplicas
  const lines: Array<string | undefined> = [
    `policy            ${e.namespace}/${e.name}`,
    d !== undefined
      ? `served            ${d.quantity} replicas (${d.reason}) at ${d.timestamp}`
      : 'served            nothing (the API answers an error; the HPA keeps the current count)',
    s.forecast.length > 0
      ? `forecast          ${s.forecast.map((f) => `p${Math.round(Number(f.quantile) * 100)} ${num(f.value)}`).join('  ')}${s.forecast[0]?.horizon !== '' ? ` at horizon ${s.forecast[0]?.horizon}` : ''}`
      : undefined,
    s.observed !== undefined ? `observed load     ${num(s.observed.value)} at ${s.observed.timestamp}` : undefined,
    ...s.anomaly.map((a) => `anomaly           ${num(a.value)} (${a.class}: ${a.reason})`),
    ...s.unavailable.map((u) => `not served        ${u.metric}: ${u.message} (HTTP ${u.code})`),
  ]
  const p = e.policy
  if (p === undefined) {
    lines.push('', 'policy status     not shown: this server has no ForesightPolicy resource (an adapter asked directly)')
  } else {
    const st = p.status
    lines.push(
      '',
      'policy',
      `  target          ${p.target}, replicas ${p.minReplicas ?? '-'}..${p.maxReplicas ?? '-'}; remediation ${p.remediationMode ?? '-'}`,
      `  status          desired ${st.desiredReplicas ?? '-'} (${st.reason ?? '-'}), model ${st.modelVersion ?? '-'}, last refresh ${st.lastRefreshTime ?? '-'}`,
      ...(st.conditions ?? []).map((c) => `  ${c.type.padEnd(16)}${c.status} (${c.reason}) since ${c.lastTransitionTime}: ${c.message}`),
      st.lastRemediation !== undefined ? `  last restart    ${st.lastRemediation.pod} at ${st.lastRemediation.time} (${st.lastRemediation.reason})` : undefined,
    )
  }
  return lines.filter((l) => l !== undefined).join('\n') + '\n'
}
