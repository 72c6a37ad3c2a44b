import { KubeConfig } from '@kubernetes/client-node'
import t from 'tap'
import { startRemediationStandIn, type RemediationStandIn } from '../../test/helpers/remediation-standin.js'
import { backoffDelayMs } from './backoff.js'
import { Evictor, type EvictorOptions } from './evict.js'

let standIn: RemediationStandIn
t.before(async () => { standIn = await startRemediationStandIn() })
t.teardown(() => standIn.close())

let clock = 1_000_000
function evictor(extra: Partial<EvictorOptions> = {}): Evictor {
  const kc = new KubeConfig()
  kc.loadFromFile(standIn.kubeconfigFile)
  return new Evictor({ kc, timeoutMs: 5_000, initialBackoffMs: 1_000, maxBackoffMs: 8_000, random: () => 0.5, now: () => clock, ...extra })
}

t.beforeEach(() => {
  standIn.evictions.length = 0
  standIn.evictionCodes.length = 0
  standIn.evictionRetryAfterSeconds = undefined
})

t.test('backoff doubles, is capped, and is jittered', async (t) => {
  t.same([1, 2, 3, 4, 10].map((n) => backoffDelayMs(n, 100, 1_000, () => 0)), [50, 100, 200, 400, 500])
  t.same([1, 2, 3, 10].map((n) => backoffDelayMs(n, 100, 1_000, () => 1)), [100, 200, 400, 1_000])
})

t.test('200: evicted, with a policy/v1 Eviction naming the pod and its uid', async (t) => {
  const out = await evictor().evict({ namespace: 'shop', pod: 'web-1', uid: 'u-1', dryRun: false })
  t.same(out, { outcome: 'evicted' })
  t.equal(standIn.evictions.length, 1)
  t.match(standIn.evictions[0], { namespace: 'shop', pod: 'web-1', body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'web-1', namespace: 'shop' }, deleteOptions: { preconditions: { uid: 'u-1' } } } })
})

t.test('DryRun never calls the API', async (t) => {
  t.same(await evictor().evict({ namespace: 'shop', pod: 'web-1', dryRun: true }), { outcome: 'dry-run' })
  t.equal(standIn.evictions.length, 0)
})

t.test('429: blocked, retried later with a growing, jittered backoff; a success clears it', async (t) => {
  const ev = evictor()
  standIn.evictionCodes.push(429, 429, 429)
  const first = await ev.evict({ namespace: 'shop', pod: 'web-2', dryRun: false })
  t.match(first, { outcome: 'blocked', message: /disruption budget/, retryAtMs: clock + 750 })
  t.same([...ev.blockedUntil('shop')], [['web-2', clock + 750]])
  t.same([...ev.blockedUntil('other')], [], 'per namespace')
  t.match(await ev.evict({ namespace: 'shop', pod: 'web-2', dryRun: false }), { outcome: 'blocked', retryAtMs: clock + 1_500 })
  t.match(await ev.evict({ namespace: 'shop', pod: 'web-2', dryRun: false }), { outcome: 'blocked', retryAtMs: clock + 3_000 })
  t.same(await ev.evict({ namespace: 'shop', pod: 'web-2', dryRun: false }), { outcome: 'evicted' })
  t.same([...ev.blockedUntil('shop')], [], 'cleared by the success')
})

t.test('429 with retryAfterSeconds waits at least that long', async (t) => {
  standIn.evictionCodes.push(429)
  standIn.evictionRetryAfterSeconds = 10
  t.match(await evictor().evict({ namespace: 'shop', pod: 'web-3', dryRun: false }), { outcome: 'blocked', retryAtMs: clock + 10_000 })
})

t.test('old refusals are forgotten', async (t) => {
  const ev = evictor()
  standIn.evictionCodes.push(429)
  await ev.evict({ namespace: 'shop', pod: 'web-4', dryRun: false })
  clock += 60_000
  t.same([...ev.blockedUntil('shop')], [])
})

t.test('500 (several PDBs): an error with the apiserver\'s message', async (t) => {
  standIn.evictionCodes.push(500)
  t.match(await evictor().evict({ namespace: 'shop', pod: 'web-5', dryRun: false }), { outcome: 'error', code: 500, message: /more than one PodDisruptionBudget/ })
})

t.test('404: the pod is gone already', async (t) => {
  standIn.evictionCodes.push(404)
  t.match(await evictor().evict({ namespace: 'shop', pod: 'web-6', dryRun: false }), { outcome: 'gone' })
})

t.test('no answer: an error with code 0 within the timeout', async (t) => {
  const ev = new Evictor({ call: (_ns, _pod, _body, signal) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))), timeoutMs: 50 })
  const started = Date.now()
  t.match(await ev.evict({ namespace: 'shop', pod: 'web-7', dryRun: false }), { outcome: 'error', code: 0, message: 'aborted' })
  t.ok(Date.now() - started < 2_000)
})

t.test('a shorter per-call deadline (the leader\'s time left) wins over the evictor\'s', async (t) => {
  const ev = new Evictor({ call: (_ns, _pod, _body, signal) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))), timeoutMs: 60_000 })
  const started = Date.now()
  t.match(await ev.evict({ namespace: 'shop', pod: 'web-8', dryRun: false, timeoutMs: 20 }), { outcome: 'error', code: 0, message: 'aborted' })
  t.ok(Date.now() - started < 30_000, 'aborted long before the evictor\'s own 60 s')
})
