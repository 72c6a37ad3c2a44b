import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import t, { type Test } from 'tap'
import { alertFixture } from '../../test/helpers/alertmanager-fixtures.js'
import { post } from '../../test/helpers/https-post.js'
import { makeTestPki } from '../../test/helpers/pki.js'
import { startRemediationStandIn, type RemediationStandIn, type StandInPod } from '../../test/helpers/remediation-standin.js'
import { controllerConfigSchema } from '../config/controller.js'
import { loadConfig } from '../config/load.js'
import { policySchema, type Policy, type PolicyStatus } from '../policy/schema.js'
import type { PolicySource } from '../policy/source.js'
import { startController, type RunningController } from './controller.js'
import type { RoundResult } from './reconcile.js'

const log = pino({ level: 'silent' })
let standIn: RemediationStandIn
t.before(async () => { standIn = await startRemediationStandIn() })
t.teardown(() => standIn.close())

const HOUR_AGO = new Date(Date.now() - 3_600_000).toISOString()

function staticSource(policies: Policy[]): PolicySource {
  return { start: async () => undefined, list: () => policies, invalid: () => new Map(), onChange: () => () => undefined, ready: () => true, close: async () => undefined }
}

function pod(ns: string, name: string, extra: Partial<StandInPod['metadata']> = {}, ready = true): StandInPod {
  return {
    metadata: { name, namespace: ns, uid: `uid-${name}`, labels: { app: 'web' }, creationTimestamp: HOUR_AGO, ownerReferences: [{ kind: 'ReplicaSet', name: 'web-7c9f8d6b5' }], ...extra },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  }
}

interface Harness { ctl: RunningController; advance(seconds: number): void; registry: Registry; ns: string; status(): PolicyStatus }

/** A namespace of its own: a Deployment `web` with pods web-1..web-N, its policy, and a controller with its own clock. */
async function harness(t: Test, ns: string, remediation: Record<string, unknown>, opts: { pods?: number; set?: string[]; podSignals?: boolean } = {}): Promise<Harness> {
  standIn.deployments.set(`${ns}/web`, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: ns }, spec: { selector: { matchLabels: { app: 'web' } } } })
  for (let i = 1; i <= (opts.pods ?? 5); i++) standIn.pods.push(pod(ns, `web-${i}`))
  standIn.policies.set(`${ns}/web`, { resourceVersion: 1, status: {} })
  const policy = policySchema.parse({
    apiVersion: 'foresight.dev/v1alpha1', kind: 'ForesightPolicy', metadata: { name: 'web', namespace: ns, uid: `policy-${ns}`, generation: 3 },
    spec: {
      scaleTargetRef: { name: 'web' }, load: { query: 'up', capacityPerReplica: 5 }, maxReplicas: 10, remediation,
      ...(opts.podSignals === false ? {} : { podSignals: { errorRatioQuery: 'sum by (pod) (rate(errors[2m]))' } }),
    },
  })
  let offsetMs = 0
  const now = (): number => Date.now() + offsetMs
  standIn.scoreTime = () => new Date(now()).toISOString()
  const cfg = loadConfig(controllerConfigSchema, {
    env: {},
    set: [`kubeconfig=${standIn.kubeconfigFile}`, 'leaderElection.enabled=false', 'metrics.port=0', 'reconcile.intervalMs=600000', 'events.dedupeWindowMs=0', ...(opts.set ?? [])],
  })
  const registry = new Registry()
  const ctl = await startController(cfg, log, { policies: staticSource([policy]), registry, now, random: () => 0.5 })
  t.teardown(() => ctl.close())
  return {
    ctl, registry, ns,
    advance: (s) => { offsetMs += s * 1000 },
    status: () => (standIn.policies.get(`${ns}/web`)?.status ?? {}),
  }
}

const score = (ns: string, pods: Record<string, string>): void => {
  standIn.scores.set(ns, Object.entries(pods).map(([p, value]) => ({ pod: p, policy: 'web', class: 'error', value })))
}
const calm = { 'web-1': '100m', 'web-2': '120m', 'web-3': '90m', 'web-4': '110m', 'web-5': '100m' }
const evictionsIn = (ns: string): string[] => standIn.evictions.filter((e) => e.namespace === ns).map((e) => e.pod)
const eventsIn = (ns: string, kind: string): Array<Record<string, unknown>> => standIn.events.filter((e) => (e.regarding as { namespace: string; kind: string }).namespace === ns && (e.regarding as { kind: string }).kind === kind)
async function metric(h: Harness, name: string, labels: Record<string, string>): Promise<number> {
  const m = (await h.registry.getSingleMetric(name)?.get())?.values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))
  return m?.value ?? 0
}

t.test('Enforce: a sustained outlier is recorded, then evicted, then reported', async (t) => {
  const h = await harness(t, 'enforce', { mode: 'Enforce' })
  score('enforce', { ...calm, 'web-3': '950m' })
  const order: string[] = []
  standIn.beforeEviction = (p) => {
    const rec = (standIn.policies.get('enforce/web')?.status as PolicyStatus | undefined)?.restartsInWindow ?? []
    order.push(`evict ${p} with ${rec.map((e) => e.pod).join(',')} on record`)
  }
  t.teardown(() => { standIn.beforeEviction = undefined })

  let [round] = await h.ctl.reconcileNow()
  t.equal(round?.decisions.find((d) => d.pod === 'web-3')?.reason, 'NotSustained')
  for (let i = 0; i < 3; i++) { h.advance(30); await h.ctl.reconcileNow() }
  t.same(evictionsIn('enforce'), [], 'not before sustainedSeconds')
  h.advance(35)
  ;[round] = await h.ctl.reconcileNow()
  t.equal(round?.outcomes.get('web-3'), 'Evicted')
  t.same(evictionsIn('enforce'), ['web-3'])
  t.same(order, ['evict web-3 with web-3 on record'], 'the record reached the apiserver before the eviction')
  t.match(standIn.evictions.at(-1)?.body, { deleteOptions: { preconditions: { uid: 'uid-web-3' } } })
  const st = h.status()
  t.equal(st.restartsInWindow?.length, 1)
  t.match(st.lastRemediation, { pod: 'web-3', action: 'Evicted' })
  t.match(st.conditions?.find((c) => c.type === 'Remediation'), { status: 'True', reason: 'Restarted', observedGeneration: 3 })
  t.match(eventsIn('enforce', 'Pod').filter((e) => e.reason === 'Restarted').map((e) => (e.regarding as { name: string }).name), ['web-3'])
  t.match(eventsIn('enforce', 'ForesightPolicy').filter((e) => e.reason === 'Restarted').map((e) => e.note), [/^web-3: restarted/])
  t.ok(eventsIn('enforce', 'Pod').some((e) => e.reason === 'NotSustained'), 'the wait was reported too')
  t.equal(await metric(h, 'foresight_remediation_restarts_total', { namespace: 'enforce', policy: 'web', mode: 'Enforce' }), 1)

  // The replacement starts (not ready yet) and another pod turns bad: one restart at a time.
  standIn.pods.push(pod('enforce', 'web-6', { creationTimestamp: new Date(Date.now()).toISOString() }, false))
  score('enforce', { ...calm, 'web-3': '950m', 'web-1': '990m', 'web-6': '0' })
  for (let i = 0; i < 5; i++) { h.advance(30); [round] = await h.ctl.reconcileNow() }
  t.equal(round?.decisions.find((d) => d.pod === 'web-1')?.reason, 'WorkloadCooldown')
  for (let i = 0; i < 10; i++) { h.advance(30); [round] = await h.ctl.reconcileNow() }
  t.equal(round?.decisions.find((d) => d.pod === 'web-1')?.reason, 'MaxUnavailable', 'the replacement is still not ready')
  t.same(evictionsIn('enforce'), ['web-3'])
  t.ok(eventsIn('enforce', 'Pod').some((e) => e.reason === 'MaxUnavailable' && (e.regarding as { name: string }).name === 'web-1'))
  t.ok(await metric(h, 'foresight_remediation_skips_total', { reason: 'WorkloadCooldown' }) >= 1)
})

t.test('most pods anomalous together: nothing is restarted, and it says why', async (t) => {
  const h = await harness(t, 'outage', { mode: 'Enforce', sustainedSeconds: 0 })
  score('outage', { ...calm, 'web-1': '900m', 'web-2': '950m', 'web-3': '990m' })
  h.advance(10)
  const [round] = await h.ctl.reconcileNow()
  t.same(round?.decisions.filter((d) => d.reason === 'MostPodsFailing').map((d) => d.pod), ['web-1', 'web-2', 'web-3'])
  t.same(evictionsIn('outage'), [])
  t.match(h.status().conditions?.find((c) => c.type === 'Remediation'), { reason: 'MostPodsFailing', message: /web-1, web-2, web-3/ })
  t.equal(h.status().restartsInWindow, undefined, 'no budget spent')
  t.ok(eventsIn('outage', 'ForesightPolicy').some((e) => e.reason === 'MostPodsFailing'))
})

t.test('DryRun (the default) decides and reports, never evicts, never spends the real budget', async (t) => {
  const h = await harness(t, 'dryrun', {})
  score('dryrun', { ...calm, 'web-2': '990m' })
  await h.ctl.reconcileNow()
  let elapsed = 0
  let round: RoundResult | undefined
  while (elapsed < 300) {
    h.advance(15)
    elapsed += 15
    ;[round] = await h.ctl.reconcileNow()
    if (round?.outcomes.has('web-2') === true) break
  }
  t.ok(elapsed >= 120 && elapsed <= 135, `decided once sustained (${elapsed}s)`)
  t.equal(round?.mode, 'DryRun')
  t.equal(round?.outcomes.get('web-2'), 'WouldRestart')
  t.same(evictionsIn('dryrun'), [])
  t.equal(h.status().restartsInWindow, undefined)
  t.match(h.status().lastRemediation, { pod: 'web-2', action: 'DryRun' })
  t.match(h.status().conditions?.find((c) => c.type === 'Remediation'), { reason: 'WouldRestart', message: /mode DryRun/ })
  t.ok(eventsIn('dryrun', 'Pod').some((e) => e.reason === 'DryRun' && /would restart/.test(String(e.note))))
  t.equal(await metric(h, 'foresight_remediation_restarts_total', { namespace: 'dryrun', policy: 'web', mode: 'DryRun' }), 1)
  // Its simulated record behaves like Enforce's: the next round is in cooldown.
  h.advance(30)
  const [next] = await h.ctl.reconcileNow()
  t.equal(next?.decisions.find((d) => d.pod === 'web-2')?.reason, 'PodCooldown')
})

t.test('a PDB refusal (429) is blocked, backs off, and still counts against the budget; a 500 is an error', async (t) => {
  const h = await harness(t, 'pdb', { mode: 'Enforce', sustainedSeconds: 0, podCooldownSeconds: 0, workloadCooldownSeconds: 0, maxRestartsPerHour: 2 })
  score('pdb', { ...calm, 'web-4': '990m' })
  standIn.evictionCodes.push(429)
  h.advance(1)
  let [round] = await h.ctl.reconcileNow()
  t.equal(round?.outcomes.get('web-4'), 'EvictionBlocked')
  t.match(h.status().lastRemediation, { pod: 'web-4', action: 'EvictionBlocked' })
  t.equal(h.status().restartsInWindow?.length, 1, 'the attempt is on the record')
  t.ok(eventsIn('pdb', 'Pod').some((e) => e.reason === 'EvictionBlocked' && e.type === 'Warning'))
  h.advance(1)
  ;[round] = await h.ctl.reconcileNow()
  t.equal(round?.decisions.find((d) => d.pod === 'web-4')?.reason, 'Blocked', 'backing off')
  h.advance(20)
  standIn.evictionCodes.push(500)
  ;[round] = await h.ctl.reconcileNow()
  t.equal(round?.outcomes.get('web-4'), 'EvictionFailed')
  t.match(h.status().lastRemediation, { action: 'EvictionFailed', reason: /more than one PodDisruptionBudget/ })
  t.equal(await metric(h, 'foresight_remediation_errors_total', { stage: 'evict' }), 1)
  h.advance(20)
  ;[round] = await h.ctl.reconcileNow()
  t.equal(round?.decisions.find((d) => d.pod === 'web-4')?.reason, 'BudgetExhausted', 'two failed attempts spent the budget of 2')
  t.equal(evictionsIn('pdb').length, 2)
})

t.test('no restart record, no eviction: an unreadable status stops the round', async (t) => {
  const h = await harness(t, 'nostatus', { mode: 'Enforce', sustainedSeconds: 0 })
  standIn.policies.delete('nostatus/web')
  score('nostatus', { ...calm, 'web-1': '990m' })
  h.advance(1)
  const [round] = await h.ctl.reconcileNow()
  t.equal(round?.error, 'StatusUnavailable')
  t.same(evictionsIn('nostatus'), [])
})

t.test('unreadable scores are no outliers', async (t) => {
  const h = await harness(t, 'noscores', { mode: 'Enforce', sustainedSeconds: 0 })
  score('noscores', { ...calm, 'web-1': '990m' })
  standIn.scoreCode = 503
  t.teardown(() => { standIn.scoreCode = undefined })
  h.advance(1)
  const [round] = await h.ctl.reconcileNow()
  t.equal(round?.decisions.find((d) => d.pod === 'web-1')?.reason, 'NotOutlier')
  t.ok(await metric(h, 'foresight_remediation_errors_total', { stage: 'scores' }) >= 1)
})

t.test('a policy without podSignals asks for no pod scores (the adapter has none) and records no error', async (t) => {
  const h = await harness(t, 'nosignals', { mode: 'Enforce', sustainedSeconds: 0 }, { podSignals: false })
  score('nosignals', { ...calm, 'web-1': '990m' })
  h.advance(1)
  const before = standIn.scoreRequests.filter((u) => u.includes('/namespaces/nosignals/')).length
  const [round] = await h.ctl.reconcileNow()
  t.equal(standIn.scoreRequests.filter((u) => u.includes('/namespaces/nosignals/')).length, before)
  t.same(evictionsIn('nosignals'), [])
  t.equal(round?.error, undefined)
  t.equal(await metric(h, 'foresight_remediation_errors_total', { stage: 'scores' }), 0)
})

t.test('Alertmanager: a firing alert restarts its pod through the same path, budgets included', async (t) => {
  const pki = makeTestPki()
  const dir = mkdtempSync(join(tmpdir(), 'foresight-ctl-alerts-'))
  const tokenFile = join(dir, 'token')
  writeFileSync(tokenFile, 'am-token')
  const h = await harness(t, 'shop', { mode: 'Enforce' }, {
    set: ['alerts.enabled=true', 'alerts.host=127.0.0.1', 'alerts.port=0', `alerts.certFile=${pki.servingFiles.certFile}`, `alerts.keyFile=${pki.servingFiles.keyFile}`, `alerts.bearerTokenFile=${tokenFile}`],
  })
  standIn.pods.push(pod('shop', 'web-7c9f8d6b5-x2x4q'), pod('shop', 'web-7c9f8d6b5-abcde'))
  score('shop', calm)
  const send = (name: string): ReturnType<typeof post> => post(`${h.ctl.alertsUrl ?? ''}/alertmanager`, alertFixture(name), { ca: pki.servingCA.certPem, headers: { authorization: 'Bearer am-token' } })
  const first = await send('firing-pod')
  t.equal(first.status, 200)
  t.match(first.json(), { results: [{ pod: 'web-7c9f8d6b5-x2x4q', result: 'restart', reason: 'Alert', outcome: 'Evicted' }] })
  t.same(evictionsIn('shop'), ['web-7c9f8d6b5-x2x4q'], 'no sustained wait: the alert already held for its own duration')
  const second = await send('mixed-group')
  t.match(second.json(), { results: [{ pod: 'web-7c9f8d6b5-abcde', result: 'skip', reason: 'WorkloadCooldown' }, { result: 'ignored' }, { result: 'ignored' }] })
  t.same(evictionsIn('shop'), ['web-7c9f8d6b5-x2x4q'])
  const unauth = await post(`${h.ctl.alertsUrl ?? ''}/alertmanager`, alertFixture('firing-pod'), { ca: pki.servingCA.certPem })
  t.equal(unauth.status, 401)
})

t.test('telemetry: /metrics with foresight_leader, /readyz', async (t) => {
  const h = await harness(t, 'telemetry', { mode: 'Off' })
  const metrics = await (await fetch(`${h.ctl.metricsUrl}/metrics`)).text()
  t.match(metrics, /foresight_leader 1/)
  t.equal((await fetch(`${h.ctl.metricsUrl}/readyz`)).status, 200)
  const [round] = await h.ctl.reconcileNow()
  t.same(round?.decisions, [], 'Off decides nothing')
  t.equal(standIn.scoreRequests.filter((u) => u.includes('/namespaces/telemetry/')).length, 0, 'and reads nothing')
})

t.test('with leader election: only the leader acts; a clean close hands over at once', async (t) => {
  standIn.deployments.set('le/web', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'le' }, spec: { selector: { matchLabels: { app: 'web' } } } })
  for (let i = 1; i <= 5; i++) standIn.pods.push(pod('le', `web-${i}`))
  standIn.policies.set('le/web', { resourceVersion: 1, status: {} })
  score('le', { ...calm, 'web-5': '990m' })
  standIn.scoreTime = () => new Date().toISOString()
  const policy = policySchema.parse({ apiVersion: 'foresight.dev/v1alpha1', kind: 'ForesightPolicy', metadata: { name: 'web', namespace: 'le' }, spec: { scaleTargetRef: { name: 'web' }, load: { query: 'up', capacityPerReplica: 5 }, maxReplicas: 10, podSignals: {}, remediation: { mode: 'Enforce', sustainedSeconds: 0 } } })
  const start = async (identity: string): Promise<RunningController> => {
    const cfg = loadConfig(controllerConfigSchema, {
      env: {},
      set: [`kubeconfig=${standIn.kubeconfigFile}`, `leaderElection.identity=${identity}`, 'leaderElection.leaseName=ctl', 'leaderElection.leaseDurationSeconds=1', 'leaderElection.renewDeadlineMs=600', 'leaderElection.retryPeriodMs=100', 'metrics.port=0', 'reconcile.intervalMs=600000'],
    })
    const c = await startController(cfg, log, { policies: staticSource([policy]), registry: new Registry() })
    t.teardown(() => c.close())
    return c
  }
  const a = await start('ctl-a')
  const b = await start('ctl-b')
  const until = Date.now() + 5_000
  while (!a.isLeader() && !b.isLeader() && Date.now() < until) await new Promise((r) => setTimeout(r, 20))
  const [leader, follower] = a.isLeader() ? [a, b] : [b, a]
  t.ok(leader.isLeader())
  t.notOk(follower.isLeader())
  t.same(await follower.reconcileNow(), [], 'the follower does nothing')
  await leader.reconcileNow()
  t.same(evictionsIn('le'), ['web-5'], 'the leader acted, once')
  await leader.close()
  const handedOver = Date.now()
  while (!follower.isLeader() && Date.now() - handedOver < 2_000) await new Promise((r) => setTimeout(r, 20))
  t.ok(follower.isLeader(), `the follower leads ${Date.now() - handedOver} ms after a clean close`)
})
