/** The load query of the i-th bench service that bench/prometheus-target.ts backfills (namespace bench, svc-<i>). */
export const serviceQuery = (i: number): string => `sum(rate(http_requests_total{namespace="bench",service="svc-${i}"}[2m]))`
