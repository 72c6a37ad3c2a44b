import { pino } from 'pino'
import t, { type Test } from 'tap'
import { startKubeWatchStandIn, type KubeWatchStandIn, type StoredObject } from '../../test/helpers/kube-watch-standin.js'
import { loadConnection } from '../kube/load.js'
import { KubeClient } from '../kube/rest.js'
import { InformerPolicySource, backoffDelayMs, type InformerSourceOptions } from './informer-source.js'
import { policyKey } from './schema.js'

const log = pino({ level: 'silent' })

function policy(namespace: string, name: string, maxReplicas = 10): StoredObject {
  return {
    apiVersion: 'foresight.dev/v1alpha1',
    kind: 'ForesightPolicy',
    metadata: { name, namespace },
    spec: { scaleTargetRef: { name }, load: { query: 'up', capacityPerReplica: 5 }, maxReplicas },
  }
}

/** Polls with a ref'd timer: the source's own timers are unref'd and would let the process exit mid-test. */
async function waitFor(what: string, cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

let standIn: KubeWatchStandIn
let kube: KubeClient
t.before(async () => {
  standIn = await startKubeWatchStandIn()
  kube = new KubeClient(await loadConnection(standIn.kubeconfigFile))
})
t.teardown(() => standIn.close())

function source(t: Test, extra: Partial<InformerSourceOptions> = {}): InformerPolicySource {
  const src = new InformerPolicySource({ kube, log, initialBackoffMs: 20, maxBackoffMs: 200, random: () => 0.5, ...extra })
  t.teardown(() => src.close())
  return src
}

const keys = (src: InformerPolicySource, ns: string): string[] => src.list().map(policyKey).filter((k) => k.startsWith(`${ns}/`)).sort()

t.test('backoff doubles, is capped, and is jittered', async (t) => {
  t.same([1, 2, 3, 4, 10].map((n) => backoffDelayMs(n, 100, 1_000, () => 0)), [50, 100, 200, 400, 500])
  t.same([1, 2, 3, 10].map((n) => backoffDelayMs(n, 100, 1_000, () => 1)), [100, 200, 400, 1_000])
})

t.test('initial list: valid policies kept, invalid ones reported', async (t) => {
  standIn.put(policy('list', 'a'))
  standIn.put(policy('list', 'b', 0))
  const lists = standIn.calls.lists
  const src = source(t, { namespace: 'list' })
  t.notOk(src.ready())
  await src.start()
  t.ok(src.ready())
  t.equal(standIn.calls.lists, lists + 1)
  t.same(keys(src, 'list'), ['list/a'])
  t.match(src.invalid().get('list/b'), /^spec\.maxReplicas: Too small/)
  t.equal(src.get('list/a'), src.list()[0], 'looked up by key')
  t.equal(src.get('list/b'), undefined, 'an invalid policy is not served')
  t.ok(Object.isFrozen(src.list()[0]?.spec), 'frozen')
  t.equal(src.list()[0]?.spec.remediation.mode, 'DryRun', 'defaults applied')
})

t.test('ADDED, MODIFIED and DELETED events', async (t) => {
  const src = source(t, { namespace: 'events' })
  await src.start()
  let changes = 0
  src.onChange(() => changes++)
  await waitFor('watch', () => standIn.liveWatches() > 0)

  standIn.put(policy('events', 'x', 5))
  await waitFor('added', () => keys(src, 'events').includes('events/x'))
  standIn.put(policy('events', 'x', 8))
  await waitFor('modified', () => src.list()[0]?.spec.maxReplicas === 8)
  standIn.put(policy('events', 'x', -1))
  await waitFor('turned invalid', () => src.invalid().has('events/x'))
  t.same(keys(src, 'events'), [], 'an invalid update removes the policy')
  standIn.put(policy('events', 'x', 9))
  await waitFor('valid again', () => src.list()[0]?.spec.maxReplicas === 9)
  t.equal(src.invalid().size, 0)
  const before = changes
  standIn.put({ ...policy('events', 'x', 9), status: { desiredReplicas: 4 } })
  await waitFor('status seen', () => src.list()[0]?.status?.desiredReplicas === 4)
  t.equal(changes, before, 'a status-only update refreshes list() without a change event')
  standIn.remove('events', 'x')
  await waitFor('deleted', () => src.list().length === 0)
  t.equal(changes, 5)
  standIn.put(policy('other', 'y'))
  await new Promise((r) => setTimeout(r, 50))
  t.same(src.list(), [], 'other namespaces are not watched')
})

t.test('all namespaces when no namespace is given', async (t) => {
  const src = source(t)
  await src.start()
  t.ok(keys(src, 'list').includes('list/a') && keys(src, 'other').includes('other/y'))
})

t.test('a dropped stream reconnects from the last resourceVersion without a re-list', async (t) => {
  const src = source(t, { namespace: 'drop' })
  await src.start()
  await waitFor('watch', () => standIn.liveWatches() > 0)
  const lists = standIn.calls.lists
  const watches = standIn.calls.watches.length
  standIn.put(policy('drop', 'before'))
  await waitFor('before', () => keys(src, 'drop').length === 1)
  const seenRv = standIn.get('drop', 'before')?.metadata.resourceVersion

  standIn.dropWatches()
  standIn.put(policy('drop', 'during'))
  await waitFor('reconnected and caught up', () => keys(src, 'drop').length === 2)
  t.equal(standIn.calls.lists, lists, 'no re-list')
  t.equal(standIn.calls.watches.length, watches + 1)
  t.equal(standIn.calls.watches.at(-1), seenRv, 'resumed where it left off')
})

t.test('410 Gone (event or HTTP status) causes a re-list that also catches deletions', async (t) => {
  for (const goneAsHttpStatus of [false, true]) {
    const ns = goneAsHttpStatus ? 'gone-http' : 'gone-event'
    standIn.put(policy(ns, 'stays'))
    standIn.put(policy(ns, 'deleted'))
    const src = source(t, { namespace: ns })
    await src.start()
    await waitFor('watch', () => standIn.liveWatches() > 0)
    standIn.goneAsHttpStatus = goneAsHttpStatus
    const lists = standIn.calls.lists

    // The watch is cut and the history compacted while changes happen: the client cannot resume and must re-list.
    standIn.dropWatches()
    standIn.remove(ns, 'deleted')
    standIn.put(policy(ns, 'new'))
    standIn.compact()
    await waitFor('re-listed', () => keys(src, ns).join() === `${ns}/new,${ns}/stays`)
    t.equal(standIn.calls.lists, lists + 1, `one re-list (${goneAsHttpStatus ? 'HTTP 410' : '410 event'})`)
    standIn.goneAsHttpStatus = false
    await src.close()
  }
})

t.test('a 410 on a live watch re-lists', async (t) => {
  const src = source(t, { namespace: 'expire' })
  await src.start()
  await waitFor('watch', () => standIn.liveWatches() > 0)
  const lists = standIn.calls.lists
  standIn.expireWatches()
  standIn.put(policy('expire', 'later'))
  await waitFor('re-listed', () => standIn.calls.lists === lists + 1 && keys(src, 'expire').length === 1)
  t.pass()
})

t.test('a failing re-list is retried with backoff', async (t) => {
  const src = source(t, { namespace: 'relist' })
  await src.start()
  await waitFor('watch', () => standIn.liveWatches() > 0)
  const lists = standIn.calls.lists
  standIn.failLists.push(500, 503)
  standIn.dropWatches()
  standIn.put(policy('relist', 'p'))
  standIn.compact()
  await waitFor('recovered', () => keys(src, 'relist').length === 1)
  t.equal(standIn.calls.lists, lists + 3, 'two failures, then a good list')
  t.ok(src.ready(), 'stays ready while it retries: the last good set is still served')
})

t.test('start retries the first list, then gives up with the reason', async (t) => {
  standIn.failLists.push(503, 503)
  const src = source(t, { namespace: 'start' })
  await src.start()
  t.ok(src.ready(), 'succeeded on the third try')

  standIn.failLists.push(...Array<number>(50).fill(403))
  const failing = source(t, { namespace: 'start', startTimeoutMs: 300 })
  await t.rejects(failing.start(), /^unable to load policies: list\/watch foresightpolicies\.foresight\.dev: HTTP 403/)
  t.notOk(failing.ready())
  standIn.failLists.length = 0
})

t.test('close stops the watch', async (t) => {
  const src = source(t, { namespace: 'close' })
  await src.start()
  await waitFor('watch', () => standIn.liveWatches() > 0)
  await src.close()
  await waitFor('watch closed', () => standIn.liveWatches() === 0)
  t.pass()
})

t.test('a start that rejects (the watch cannot be set up) is retried through the failure path, not left unhandled', async (t) => {
  const unhandled: unknown[] = []
  const onUnhandled = (err: unknown): void => { unhandled.push(err) }
  process.on('unhandledRejection', onUnhandled)
  t.teardown(() => { process.off('unhandledRejection', onUnhandled) })

  // The credentials become unreadable once (a token file mid-rotation), right when the source restarts after a
  // failure: informer.start() then rejects instead of emitting an error.
  let armed = false
  let thrown = 0
  const warnings: string[] = []
  const spy = pino({ level: 'warn' }, {
    write: (line: string) => {
      warnings.push(line)
      if ((JSON.parse(line) as { msg?: string }).msg === 'policy watch failed; restarting' && thrown === 0) armed = true
    },
  })
  const connection = await loadConnection(standIn.kubeconfigFile)
  const flaky = new KubeClient({
    server: connection.server,
    origin: connection.origin,
    settings: async () => {
      if (armed) {
        armed = false
        thrown++
        throw new Error('token file unreadable')
      }
      return connection.settings()
    },
  })
  const src = new InformerPolicySource({ kube: flaky, log: spy, namespace: 'rejects', initialBackoffMs: 20, maxBackoffMs: 200, random: () => 0.5 })
  t.teardown(() => src.close())
  await src.start()
  await waitFor('watch', () => standIn.liveWatches() > 0)

  // A failed re-list starts the retry path.
  standIn.failLists.push(500)
  standIn.dropWatches()
  standIn.put(policy('rejects', 'p'))
  standIn.compact()
  await waitFor('the watch set-up to fail once', () => thrown === 1)
  standIn.put(policy('rejects', 'q'))
  await waitFor('a working watch again', () => keys(src, 'rejects').join() === 'rejects/p,rejects/q')
  t.same(unhandled, [], 'no unhandled rejection')
  t.ok(warnings.some((w) => w.includes('token file unreadable')), 'reported as a watch failure')
})
