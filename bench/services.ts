/** The load query of the i-th bench service that bench/prometheus-target.ts backfills (namespace bench, svc-<i>). */
export const serviceQuery = (i: number): string => `sum(rate(http_requests_total{namespace="bench",service="svc-${i}"}[2m]))`

/** The i-th bench policy (p<i>, scaling svc-<i>), reading its own backfilled series. */
export const servicePolicy = (i: number): string => `apiVersion: foresight.dev/v1alpha1
kind: ForesightPolicy
metadata: { name: p${i}, namespace: default }
spec:
  scaleTargetRef: { name: svc-${i} }
  load: { query: '${serviceQuery(i)}', capacityPerReplica: 0.25 }
  maxReplicas: 200
`
