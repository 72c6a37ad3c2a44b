import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { KubeConfig } from '@kubernetes/client-node'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import t, { type Test } from 'tap'
import { alertFixture } from '../../test/helpers/alertmanager-fixtures.js'
import { post } from '../../test/helpers/https-post.js'
import { makeTestPki } from '../../test/helpers/pki.js'
import { startRemediationStandIn, type RemediationStandIn, type StandInPod } from '../../test/helpers/remediation-standin.js'
import { controllerConfigSchema } from '../config/controller-config.js'
import { loadConfig } from '../config/load.js'
import { policyKey, policySchema, remediationSchema, type Policy, type PolicyStatus } from '../policy/schema.js'
import type { PolicySource } from '../policy/source.js'
import { clientNodeConnection } from '../kube/client-node-connection.js'
import { KubeClient } from '../kube/rest.js'
import { kubeStatusClient, type PolicyRef, type StatusClient } from '../policy/status.js'
import { startController, type RunningController } from './controller.js'
import type { RoundResult } from '../remediation/reconcile.js'
import { kubeWorkloadApi, workloadPods, type WorkloadPodLister } from '../remediation/workload-pods.js'

const log = pino({ level: 'silent' })
let standIn: RemediationStandIn
t.before(async () => { standIn = await startRemediationStandIn() })
t.teardown(() => standIn.close())

const HOUR_AGO = new Date(Date.now() - 3_600_000).toISOString()

function staticSource(policies: Policy[]): PolicySource {
  return { start: async () => undefined, list: () => policies, get: (key) => policies.find((p) => policyKey(p) === key), invalid: () => new Map(), onChange: () => () => undefined, ready: () => true, close: async () => undefined }
}

/** The controlling reference the ReplicaSet controller puts on the pods of Deployment `web` in `ns`. */
const rsRef = (ns: string): { apiVersion: string; kind: string; name: string; uid: string; controller: boolean } =>
  ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7c9f8d6b5', uid: `rs-${ns}`, controller: true })

function pod(ns: string, name: string, extra: Partial<StandInPod['metadata']> = {}, ready = true): StandInPod {
  return {
    metadata: { name, namespace: ns, uid: `uid-${name}`, labels: { app: 'web' }, creationTimestamp: HOUR_AGO, ownerReferences: [rsRef(ns)], ...extra },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  }
}

function deployment(ns: string): Record<string, unknown> {
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: ns, uid: `deploy-${ns}` }, spec: { selector: { matchLabels: { app: 'web' } } } }
}

function standInKubeConfig(): KubeConfig {
  const kc = new KubeConfig()
  kc.loadFromFile(standIn.kubeconfigFile)
  return kc
}

/**
 * Pods through the real lookup (Deployment and pods from the stand-in); the stand-in has no ReplicaSet list, so
 * Deployment `web`'s one ReplicaSet is given here, controlled by the Deployment's uid.
 */
function standInPods(): WorkloadPodLister {
  return workloadPods({
    ...kubeWorkloadApi(standInKubeConfig(), 10_000),
    listReplicaSets: async (ns) => [{ metadata: { name: 'web-7c9f8d6b5', namespace: ns, uid: `rs-${ns}`, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: `deploy-${ns}`, controller: true }] } }],
  })
}

/** The spec as the policy's GET brings it now; `beforeRead` may change it, given the count of reads so far. */
interface FreshSpec { spec: Record<string, unknown>; reads: number; beforeRead?: (reads: number) => void }

/** The stand-in's status reads, with the spec the real status subresource's GET would also bring. */
function recordClient(fresh: FreshSpec): StatusClient {
  const inner = kubeStatusClient(new KubeClient(clientNodeConnection(standInKubeConfig())))
  return {
    get: async (ref: PolicyRef, signal: AbortSignal) => {
      fresh.beforeRead?.(fresh.reads)
      fresh.reads++
      return { ...(await inner.get(ref, signal)), spec: structuredClone(fresh.spec) }
    },
    patch: (ref, body, signal) => inner.patch(ref, body, signal),
  }
}

interface Harness { ctl: RunningController; advance(seconds: number): void; registry: Registry; ns: string; status(): PolicyStatus; fresh: FreshSpec }

/** A namespace of its own: a Deployment `web` with pods web-1..web-N, its policy, and a controller with its own clock. */
async function harness(t: Test, ns: string, remediation: Record<string, unknown>, opts: { pods?: number; set?: string[]; podSignals?: boolean } = {}): Promise<Harness> {
  standIn.deployments.set(`${ns}/web`, deployment(ns))
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
  const fresh: FreshSpec = { spec: structuredClone(policy.spec), reads: 0 }
  const ctl = await startController(cfg, log, { policies: staticSource([policy]), registry, now, random: () => 0.5, listPods: standInPods(), status: recordClient(fresh) })
  t.teardown(() => ctl.close())
  return {
    ctl, registry, ns, fresh,
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
  const h = await harness(t, 'enforce', { mode: 'Enforce', sustainedSeconds: 120 })
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
  const sustained = remediationSchema.parse({}).sustainedSeconds
  let elapsed = 0
  let round: RoundResult | undefined
  while (elapsed < sustained + 180) {
    h.advance(15)
    elapsed += 15
    ;[round] = await h.ctl.reconcileNow()
    if (round?.outcomes.has('web-2') === true) break
  }
  t.ok(elapsed >= sustained && elapsed <= sustained + 15, `decided once sustained (${elapsed}s of the default ${sustained}s)`)
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
  const h = await harness(t, 'shop', { mode: 'Enforce', workloadCooldownSeconds: 60, acceptAlerts: true }, {
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
  t.match(second.json(), { results: [{ pod: 'web-7c9f8d6b5-abcde', result: 'skip', reason: 'WorkloadCooldown' }, { result: 'ignored' }, { result: 'withdrawn' }] })
  t.same(evictionsIn('shop'), ['web-7c9f8d6b5-x2x4q'])
  // The skipped alert resolves before the cooldown ends: its restart must not happen afterwards.
  const resolved = await send('resolved-abcde')
  t.match(resolved.json(), { results: [{ pod: 'web-7c9f8d6b5-abcde', result: 'withdrawn', reason: 'resolved' }] })
  h.advance(61)
  await h.ctl.reconcileNow()
  t.same(evictionsIn('shop'), ['web-7c9f8d6b5-x2x4q'], 'no restart for a resolved alert once the cooldown is over')
  const unauth = await post(`${h.ctl.alertsUrl ?? ''}/alertmanager`, alertFixture('firing-pod'), { ca: pki.servingCA.certPem })
  t.equal(unauth.status, 401)
})

t.test('Alertmanager: one alert resolving does not withdraw another alert\'s request for the same pod', async (t) => {
  const pki = makeTestPki()
  const dir = mkdtempSync(join(tmpdir(), 'foresight-ctl-alerts-'))
  const tokenFile = join(dir, 'token')
  writeFileSync(tokenFile, 'am-token')
  const ns = 'shop2'
  const h = await harness(t, ns, { mode: 'Enforce', workloadCooldownSeconds: 60, acceptAlerts: true }, {
    set: ['alerts.enabled=true', 'alerts.host=127.0.0.1', 'alerts.port=0', `alerts.certFile=${pki.servingFiles.certFile}`, `alerts.keyFile=${pki.servingFiles.keyFile}`, `alerts.bearerTokenFile=${tokenFile}`],
  })
  standIn.pods.push(pod(ns, 'web-7c9f8d6b5-x2x4q'), pod(ns, 'web-7c9f8d6b5-abcde'))
  score(ns, calm)
  // The shop fixtures, moved to this test's namespace; `edit` changes the first alert.
  const fixture = (name: string, edit: (a: { labels: Record<string, string>; fingerprint?: string }) => void = () => undefined): string => {
    const body = JSON.parse(alertFixture(name).replaceAll('"shop"', `"${ns}"`)) as { alerts: Array<{ labels: Record<string, string>; fingerprint?: string }> }
    if (body.alerts[0] !== undefined) edit(body.alerts[0])
    return JSON.stringify(body)
  }
  const send = (body: string): ReturnType<typeof post> => post(`${h.ctl.alertsUrl ?? ''}/alertmanager`, body, { ca: pki.servingCA.certPem, headers: { authorization: 'Bearer am-token' } })
  t.match((await send(fixture('firing-pod'))).json(), { results: [{ result: 'restart' }] })
  t.match((await send(fixture('mixed-group'))).json(), { results: [{ pod: 'web-7c9f8d6b5-abcde', result: 'skip', reason: 'WorkloadCooldown' }] })
  // Another alert on the same pod (another rule, another fingerprint) resolves; PodHighLatency still fires.
  const other = await send(fixture('resolved-abcde', (a) => { a.fingerprint = 'ffff000011112222'; a.labels.alertname = 'PodHighErrorRate' }))
  t.match(other.json(), { results: [{ pod: 'web-7c9f8d6b5-abcde', result: 'withdrawn' }] })
  h.advance(61)
  await h.ctl.reconcileNow()
  t.same(evictionsIn(ns), ['web-7c9f8d6b5-x2x4q', 'web-7c9f8d6b5-abcde'], 'the alert still firing gets its restart once the cooldown is over')
})

t.test('Alertmanager: a policy that has not opted in (acceptAlerts) is never restarted for an alert', async (t) => {
  const pki = makeTestPki()
  const dir = mkdtempSync(join(tmpdir(), 'foresight-ctl-alerts-'))
  const tokenFile = join(dir, 'token')
  writeFileSync(tokenFile, 'am-token')
  const h = await harness(t, 'shop', { mode: 'Enforce' }, {
    pods: 0,
    set: ['alerts.enabled=true', 'alerts.host=127.0.0.1', 'alerts.port=0', `alerts.certFile=${pki.servingFiles.certFile}`, `alerts.keyFile=${pki.servingFiles.keyFile}`, `alerts.bearerTokenFile=${tokenFile}`],
  })
  const before = evictionsIn('shop')
  const res = await post(`${h.ctl.alertsUrl ?? ''}/alertmanager`, alertFixture('firing-pod'), { ca: pki.servingCA.certPem, headers: { authorization: 'Bearer am-token' } })
  t.equal(res.status, 200)
  t.match(res.json(), { results: [{ pod: 'web-7c9f8d6b5-x2x4q', result: 'skip', reason: 'AlertsNotAccepted' }] })
  t.same(evictionsIn('shop'), before, 'nothing evicted')
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
  standIn.deployments.set('le/web', deployment('le'))
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
    const c = await startController(cfg, log, { policies: staticSource([policy]), registry: new Registry(), listPods: standInPods(), status: recordClient({ spec: structuredClone(policy.spec), reads: 0 }) })
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

t.test('pods the workload does not control (a bare debug pod, a canary sharing the labels) are never restarted nor counted', async (t) => {
  const h = await harness(t, 'owned', { mode: 'Enforce', sustainedSeconds: 0 }, { pods: 4 })
  const canary = { ...rsRef('owned'), name: 'web-canary-5d4', uid: 'rs-canary' }
  standIn.pods.push(pod('owned', 'debug', { ownerReferences: [] }), pod('owned', 'web-canary-1', { ownerReferences: [canary] }))
  score('owned', { 'web-1': '990m', 'web-2': '100m', 'web-3': '90m', 'web-4': '110m', debug: '990m', 'web-canary-1': '990m' })
  h.advance(1)
  const [round] = await h.ctl.reconcileNow()
  t.same(round?.decisions.map((d) => d.pod), ['web-1', 'web-2', 'web-3', 'web-4'], 'only the Deployment\'s pods are decided on')
  t.equal(round?.outcomes.get('web-1'), 'Evicted', '1 of 4 pods anomalous: not "most pods failing"')
  t.same(evictionsIn('owned'), ['web-1'], 'the bare and the canary pod are left alone')
})

t.test('mode and budgets: the fresh read of the policy wins over the watch cache', async (t) => {
  const h = await harness(t, 'fresh', { mode: 'Enforce', sustainedSeconds: 0, podCooldownSeconds: 0, workloadCooldownSeconds: 0 })
  score('fresh', { ...calm, 'web-2': '990m' })
  const enforce = structuredClone(h.fresh.spec)
  const withRemediation = (over: Record<string, unknown>): Record<string, unknown> => ({ ...enforce, remediation: { ...(enforce.remediation as Record<string, unknown>), ...over } })
  /** From the round's second read on (the write-ahead step's), the spec is `over`. */
  const atWriteAhead = (over: Record<string, unknown>): void => {
    h.fresh.spec = enforce
    const first = h.fresh.reads
    h.fresh.beforeRead = (n) => { if (n === first + 1) h.fresh.spec = withRemediation(over) }
  }
  h.advance(1)

  h.fresh.spec = withRemediation({ mode: 'Off' })
  let [round] = await h.ctl.reconcileNow()
  t.equal(round?.mode, 'Off', 'switched Off while the watch still says Enforce')
  t.equal(round?.decisions.find((d) => d.pod === 'web-2')?.reason, 'ModeOff')

  atWriteAhead({ mode: 'Off' })
  ;[round] = await h.ctl.reconcileNow()
  t.equal(round?.outcomes.get('web-2'), 'ModeOff', 'switched Off between the decision and the write-ahead read')

  atWriteAhead({ mode: 'DryRun' })
  ;[round] = await h.ctl.reconcileNow()
  t.equal(round?.outcomes.get('web-2'), 'DryRun', 'DryRun in the write-ahead read does not evict either')

  atWriteAhead({ maxRestartsPerHour: 0 })
  ;[round] = await h.ctl.reconcileNow()
  t.equal(round?.outcomes.get('web-2'), 'BudgetExhausted', 'a budget lowered to 0 holds at the write-ahead step')

  // A spec that cannot be read back (here: an unknown mode) stops the round: nothing is checked, nothing evicted.
  h.fresh.beforeRead = undefined
  h.fresh.spec = withRemediation({ mode: 'Sometimes' })
  ;[round] = await h.ctl.reconcileNow()
  t.equal(round?.error, 'PolicyUnreadable')
  t.equal(h.status().restartsInWindow, undefined, 'nothing was spent so far')
  t.same(evictionsIn('fresh'), [], 'and nothing evicted')

  // Enforce again in the fresh read: the restart goes ahead.
  h.fresh.beforeRead = undefined
  h.fresh.spec = enforce
  ;[round] = await h.ctl.reconcileNow()
  t.equal(round?.outcomes.get('web-2'), 'Evicted')
  t.same(evictionsIn('fresh'), ['web-2'])
})

t.test('a fresh read with a lower maxUnavailable holds too', async (t) => {
  const h = await harness(t, 'fresh-mu', { mode: 'Enforce', sustainedSeconds: 0, maxUnavailable: 2 })
  standIn.pods.push(pod('fresh-mu', 'web-6', {}, false))
  score('fresh-mu', { ...calm, 'web-2': '990m', 'web-6': '0' })
  h.advance(1)
  const enforce = structuredClone(h.fresh.spec)
  h.fresh.spec = { ...enforce, remediation: { ...(enforce.remediation as Record<string, unknown>), maxUnavailable: 1 } }
  let [round] = await h.ctl.reconcileNow()
  t.equal(round?.decisions.find((d) => d.pod === 'web-2')?.reason, 'MaxUnavailable', 'decided with the lower value read at the round\'s start')
  const first = h.fresh.reads
  h.fresh.spec = enforce
  h.fresh.beforeRead = (n) => { if (n === first + 1) h.fresh.spec = { ...enforce, remediation: { ...(enforce.remediation as Record<string, unknown>), maxUnavailable: 1 } } }
  ;[round] = await h.ctl.reconcileNow()
  t.equal(round?.outcomes.get('web-2'), 'MaxUnavailable', 'and re-checked at the write-ahead step')
  t.same(evictionsIn('fresh-mu'), [])
})

t.test('close: stop campaigning, finish the policy in flight only, then release the lease', async (t) => {
  const ns = 'closing'
  for (const name of ['first', 'second']) standIn.policies.set(`${ns}/${name}`, { resourceVersion: 1, status: {} })
  const policies = ['first', 'second'].map((name) => policySchema.parse({
    apiVersion: 'foresight.dev/v1alpha1', kind: 'ForesightPolicy', metadata: { name, namespace: ns },
    spec: { scaleTargetRef: { name }, load: { query: 'up', capacityPerReplica: 5 }, maxReplicas: 10, remediation: { mode: 'DryRun' } },
  }))
  const listed: string[] = []
  let reached: () => void = () => undefined
  const atGate = new Promise<void>((resolve) => { reached = resolve })
  let open: () => void = () => undefined
  const gate = new Promise<void>((resolve) => { open = resolve })
  const listPods: WorkloadPodLister = async (p) => {
    listed.push(p.metadata.name)
    if (p.metadata.name === 'first') {
      reached()
      await gate
    }
    return []
  }
  const cfg = loadConfig(controllerConfigSchema, {
    env: {},
    set: [`kubeconfig=${standIn.kubeconfigFile}`, 'leaderElection.identity=ctl-closing', 'leaderElection.leaseName=ctl-closing', 'leaderElection.leaseDurationSeconds=1', 'leaderElection.renewDeadlineMs=600', 'leaderElection.retryPeriodMs=100', 'metrics.port=0', 'reconcile.intervalMs=600000'],
  })
  const c = await startController(cfg, log, { policies: staticSource(policies), registry: new Registry(), listPods, status: recordClient({ spec: {}, reads: 0 }) })
  t.teardown(() => c.close())
  await atGate
  let closed = false
  const closing = c.close().then(() => { closed = true })
  // Long enough for a release (a local HTTP round trip) or several renewals to happen if close() did not wait.
  await new Promise((resolve) => setTimeout(resolve, 400))
  t.notOk(closed, 'close() waits for the policy in flight')
  t.equal(standIn.leases.get('foresight/ctl-closing')?.spec?.holderIdentity, 'ctl-closing', 'the lease is kept while a policy is in flight')
  const later = c.reconcileNow()
  open()
  await closing
  t.same(await later, [], 'no new round once closing')
  t.same(listed, ['first'], 'the round stopped after the policy in flight')
  t.equal(standIn.leases.get('foresight/ctl-closing')?.spec?.holderIdentity, '', 'then the lease was released')
  t.notOk(c.isLeader())
})
