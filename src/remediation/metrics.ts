import { Counter, Gauge, type Registry } from 'prom-client'

export interface RemediationMetrics {
  restarts: Counter<'namespace' | 'policy' | 'mode'>
  skips: Counter<'reason'>
  errors: Counter<'stage'>
  leader: Gauge
}

function existing<T>(registry: Registry, name: string): T | undefined {
  return registry.getSingleMetric(name) as T | undefined
}

export function remediationMetrics(registry: Registry): RemediationMetrics {
  return {
    restarts: existing(registry, 'foresight_remediation_restarts_total') ?? new Counter({
      name: 'foresight_remediation_restarts_total',
      help: 'Pods restarted (mode Enforce: evictions that succeeded) or that would have been (mode DryRun)',
      labelNames: ['namespace', 'policy', 'mode'] as const,
      registers: [registry],
    }),
    // By reason only: per-pod or per-policy labels would grow without bound.
    skips: existing(registry, 'foresight_remediation_skips_total') ?? new Counter({
      name: 'foresight_remediation_skips_total',
      help: 'Pod decisions that restarted nothing, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    errors: existing(registry, 'foresight_remediation_errors_total') ?? new Counter({
      name: 'foresight_remediation_errors_total',
      help: 'Failed steps of a remediation round (pods, scores, status, record, evict)',
      labelNames: ['stage'] as const,
      registers: [registry],
    }),
    leader: existing(registry, 'foresight_leader') ?? new Gauge({ name: 'foresight_leader', help: '1 while this replica leads, else 0', registers: [registry] }),
  }
}
