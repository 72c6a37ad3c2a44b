import { POLICY_LABEL } from '../names.js'

/** The copy-and-paste commands printed when the adapter starts in local mode. */
export function localUsage(apiUrl: string, metricsUrl: string, policy: { namespace: string; name: string } | undefined): string {
  const base = `${apiUrl}/apis/external.metrics.k8s.io/v1beta1`
  const lines = ['', `Foresight adapter (local mode) is serving on ${apiUrl}`, 'Try:', `  curl -sk '${base}'`]
  if (policy !== undefined) {
    const selector = encodeURIComponent(`${POLICY_LABEL}=${policy.name}`)
    for (const metric of ['foresight_desired_replicas', 'foresight_forecast_load', 'foresight_observed_load', 'foresight_anomaly_score']) {
      lines.push(`  curl -sk '${base}/namespaces/${policy.namespace}/${metric}?labelSelector=${selector}'`)
    }
  }
  lines.push(`  curl -s  '${metricsUrl}/metrics'`, '')
  return lines.join('\n')
}
