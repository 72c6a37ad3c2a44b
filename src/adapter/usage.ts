import type { ReplaySourceConfig } from '../config/schema.js'
import { POLICY_LABEL } from '../source/types.js'

/** The copy-and-paste commands printed when the adapter starts in local mode. */
export function localUsage(apiUrl: string, metricsUrl: string, source: ReplaySourceConfig): string {
  const base = `${apiUrl}/apis/external.metrics.k8s.io/v1beta1`
  const selector = encodeURIComponent(`${POLICY_LABEL}=${source.policy}`)
  return [
    '',
    `Foresight adapter (local mode, replaying a real request trace) is serving on ${apiUrl}`,
    'Try:',
    `  curl -sk '${base}'`,
    `  curl -sk '${base}/namespaces/${source.namespace}/foresight_desired_replicas?labelSelector=${selector}'`,
    `  curl -sk '${base}/namespaces/${source.namespace}/foresight_observed_load?labelSelector=${selector}'`,
    `  curl -s  '${metricsUrl}/metrics'`,
    '',
  ].join('\n')
}
