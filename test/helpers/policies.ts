import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** A ForesightPolicy (YAML) whose load is the request rate test/helpers/prometheus.ts backfills for `service`. */
export function backfilledPolicy(ns: string, name: string, service: string, extra = ''): string {
  return `
apiVersion: foresight.dev/v1alpha1
kind: ForesightPolicy
metadata: { name: ${name}, namespace: ${ns} }
spec:
  scaleTargetRef: { name: ${name} }
  load:
    query: sum(rate(http_requests_total{namespace="${ns}",service="${service}"}[2m]))
    capacityPerReplica: 0.25
  maxReplicas: 200
${extra}`
}

/** Pod signals of default/web: the backfilled per-pod error ratios, where web-2 is the outlier. */
export const WEB_POD_SIGNALS = `  podSignals:
    podLabel: pod
    errorRatioQuery: max by (pod) (http_requests_errors_ratio{namespace="default",service="web"})`

/** A static fallback of 7 replicas after two failed refreshes. */
export const STATIC_FALLBACK_7 = '  fallback: { behavior: static, replicas: 7, failureThreshold: 2 }'

/** Path of a ForesightPolicy file for the backtests (test/fixtures/backtest). */
export function backtestPolicyFixture(name: string): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'backtest', name)
}
