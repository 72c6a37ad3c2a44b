import type { Test } from 'tap'
import type { Suite } from '../e2e.test.js'
import { apply, getJson, getRaw, waitFor } from '../lib/kube.js'
import { metricPath, scalePolicy, SCALE_NS, type MetricItem } from './adapter.js'
import { webDeployment, webReplicas } from '../lib/workload.js'

// Step 2: a real HPA (kube-controller-manager, sync 2 s) follows foresight_desired_replicas up, then down after
// the policy changes in the cluster (the adapter's informer picks the update up).

const HPA = `${webDeployment(SCALE_NS)}---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: ${SCALE_NS}}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 1
  maxReplicas: 10
  metrics:
  - type: External
    external:
      metric: {name: foresight_desired_replicas, selector: {matchLabels: {foresight.dev/policy: web}}}
      target: {type: AverageValue, averageValue: "1"}
  behavior:
    scaleDown: {stabilizationWindowSeconds: 0}
`

async function served(): Promise<number> {
  const r = await getRaw(metricPath(SCALE_NS, 'foresight_desired_replicas', 'web'))
  if (r.code !== 0) throw new Error(r.stderr.trim())
  return Number((JSON.parse(r.stdout) as { items: MetricItem[] }).items[0]?.value)
}

const readyReplicas = (): Promise<{ spec: number; ready: number }> => webReplicas(SCALE_NS)

export async function scalingSuite(t: Test, suite: Suite): Promise<void> {
  await t.test('HPA scales a kwok Deployment to the served count, and down after a policy update', { skip: suite.adapter === undefined ? 'no adapter' : false }, async (t) => {
    await apply(HPA)
    const up = await served()
    t.equal(up, 6, 'served 6 (maxReplicas) at capacity 0.01')
    const t0 = Date.now()
    const r = await waitFor(`deployment ${SCALE_NS}/web at ${up} ready replicas`, 90_000, async () => {
      const s = await readyReplicas()
      return s.spec === up && s.ready === up ? s : undefined
    })
    t.same(r, { spec: up, ready: up }, `HPA scaled 1 -> ${up} in ${Date.now() - t0} ms`)

    // A much larger capacity per replica: the load fits in minReplicas (2). At 50 % of the replicas per minute down,
    // 6 loses at most 3 in any minute however long it was held (the allowance stops accruing after a minute), so
    // reaching 2 takes at least two steps and more than a minute, never one jump per refresh.
    await apply(scalePolicy(1_000_000, 50))
    const t1 = Date.now()
    const seen: number[] = []
    const down = await waitFor('the adapter to serve the updated policy (minReplicas 2)', 180_000, async () => {
      const v = await served()
      if (v !== undefined && seen[seen.length - 1] !== v) seen.push(v)
      return v === 2 ? 2 : undefined
    })
    t.pass(`policy update served after ${Date.now() - t1} ms, served ${seen.join(' -> ')}`)
    t.ok(seen.every((v, i) => i === 0 || v < (seen[i - 1] ?? Infinity)), 'the served count only steps down')
    t.ok(seen.length > 2, `in more than one step (${seen.join(' -> ')})`)
    t.ok(seen.every((v, i) => i === 0 || (seen[i - 1] ?? 0) - v <= 3), 'no step removes more than half of 6')
    const r2 = await waitFor(`deployment ${SCALE_NS}/web back at ${down} replicas`, 90_000, async () => {
      const s = await readyReplicas()
      return s.spec === down && s.ready === down ? s : undefined
    })
    t.same(r2, { spec: down, ready: down }, `HPA scaled ${up} -> ${down} in ${Date.now() - t1} ms after the policy update`)
    // The HPA's status trails its last sync (2 s): wait for the sync that saw 2 ready pods.
    const avg = await waitFor('HPA status currentMetrics averageValue 1', 20_000, async () => {
      const hpa = await getJson<{ status: { currentMetrics?: Array<{ external?: { current?: { averageValue?: string } } }> } }>(['get', 'hpa', 'web', '-n', SCALE_NS])
      const v = hpa?.status.currentMetrics?.[0]?.external?.current?.averageValue
      return v === '1' ? v : undefined
    })
    t.equal(avg, '1', 'the HPA reads averageValue 1 (served 2 over 2 replicas)')
  })
}
