import type { IncomingMessage } from 'node:http'
import { PassThrough } from 'node:stream'
import t from 'tap'
import { KubeApiError } from './errors.js'
import { Informer, type KubeObject } from './informer.js'
import type { KubeClient, KubeRequest } from './rest.js'

// The informer's list/watch logic against a scripted client: which requests it makes, with which
// resourceVersion, and which events it derives. test/integration/kube-client.test.ts runs it on kube-apiserver.

const obj = (name: string, rv: string): KubeObject => ({ metadata: { namespace: 'ns', name, resourceVersion: rv } })

interface Script {
  lists: Array<{ rv: string; items: KubeObject[] } | KubeApiError>
  /** Per watch request: lines to send then end, or an error to throw. `hold` keeps the stream open. */
  watches: Array<{ lines: unknown[]; hold?: boolean } | KubeApiError>
}

function scripted(script: Script): { client: KubeClient; watchRvs: string[]; lists: () => number; open: PassThrough[] } {
  const watchRvs: string[] = []
  const open: PassThrough[] = []
  let lists = 0
  const client = {
    request(req: KubeRequest): Promise<unknown> {
      lists++
      const next = script.lists.shift()
      if (next === undefined) return Promise.reject(new Error(`unexpected list ${req.path}`))
      if (next instanceof Error) return Promise.reject(next)
      return Promise.resolve({ metadata: { resourceVersion: next.rv }, items: next.items })
    },
    stream(req: Omit<KubeRequest, 'method'>): Promise<IncomingMessage> {
      watchRvs.push(String(req.query?.resourceVersion))
      const next = script.watches.shift()
      if (next === undefined) return new Promise(() => undefined)
      if (next instanceof Error) return Promise.reject(next)
      const s = new PassThrough()
      open.push(s)
      req.signal?.addEventListener('abort', () => s.destroy())
      setImmediate(() => {
        for (const l of next.lines) s.write(`${JSON.stringify(l)}\n`)
        if (next.hold !== true) s.end()
      })
      return Promise.resolve(s as unknown as IncomingMessage)
    },
  }
  return { client: client as unknown as KubeClient, watchRvs, lists: () => lists, open }
}

function record(inf: Informer): string[] {
  const seen: string[] = []
  for (const type of ['add', 'update', 'delete'] as const) inf.on(type, (o) => seen.push(`${type} ${o.metadata?.name ?? ''}@${o.metadata?.resourceVersion ?? ''}`))
  inf.on('error', (e) => seen.push(`error ${(e as Error).message}`))
  return seen
}

async function until(cond: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

t.test('list, then watch from its resourceVersion; a bookmark moves it on, and a dropped watch resumes without a re-list', async (t) => {
  const s = scripted({
    lists: [{ rv: '10', items: [obj('a', '5')] }],
    watches: [
      { lines: [{ type: 'ADDED', object: obj('b', '11') }, { type: 'MODIFIED', object: obj('a', '12') }, { type: 'BOOKMARK', object: { metadata: { resourceVersion: '20' } } }] },
      { lines: [{ type: 'DELETED', object: obj('b', '21') }], hold: true },
    ],
  })
  const inf = new Informer({ client: s.client, path: '/x', noun: 'things' })
  t.teardown(() => inf.stop())
  const seen = record(inf)
  await inf.start()
  await until(() => seen.length === 4, 'events')
  t.same(seen, ['add a@5', 'add b@11', 'update a@12', 'delete b@21'])
  t.same(s.watchRvs, ['10', '20'], 'the second watch starts at the bookmark')
  t.equal(s.lists(), 1)
})

t.test('410 Gone, as an ERROR event or an HTTP status, re-lists: what vanished meanwhile is deleted, what changed updated', async (t) => {
  for (const gone of [{ lines: [{ type: 'ERROR', object: { kind: 'Status', code: 410, message: 'too old resource version' } }] }, new KubeApiError('unable to watch things: HTTP 410', 410)]) {
    const s = scripted({
      lists: [{ rv: '10', items: [obj('a', '1'), obj('b', '2'), obj('c', '3')] }, { rv: '30', items: [obj('a', '1'), obj('b', '25'), obj('d', '26')] }],
      watches: [gone, { lines: [], hold: true }],
    })
    const inf = new Informer({ client: s.client, path: '/x', noun: 'things' })
    const seen = record(inf)
    await inf.start()
    await until(() => s.watchRvs.length === 2, 'second watch')
    t.same(seen.slice(3), ['update b@25', 'add d@26', 'delete c@3'], gone instanceof Error ? 'HTTP 410' : '410 event')
    t.same(s.watchRvs, ['10', '30'], 'watches on from the re-list')
    await inf.stop()
  }
})

t.test('any other failure is emitted as an error and the informer stops', async (t) => {
  const s = scripted({
    lists: [{ rv: '1', items: [] }],
    watches: [{ lines: [{ type: 'ERROR', object: { kind: 'Status', code: 500, message: 'etcd unavailable' } }] }],
  })
  const inf = new Informer({ client: s.client, path: '/x', noun: 'things' })
  const seen = record(inf)
  await inf.start()
  await until(() => seen.length === 1, 'error')
  t.same(seen, ['error unable to watch things: HTTP 500: etcd unavailable'])
  await new Promise((r) => setTimeout(r, 50))
  t.equal(s.watchRvs.length, 1, 'no further watch')

  const forbidden = scripted({ lists: [{ rv: '1', items: [] }], watches: [new KubeApiError('unable to watch things: HTTP 403: forbidden', 403)] })
  const inf2 = new Informer({ client: forbidden.client, path: '/x', noun: 'things' })
  const seen2 = record(inf2)
  await inf2.start()
  await until(() => seen2.length === 1, 'error')
  t.match(seen2[0], /HTTP 403/)

  const garbage = scripted({ lists: [{ rv: '1', items: [] }], watches: [] })
  const inf3 = new Informer({ client: garbage.client, path: '/x', noun: 'things', maxEventBytes: 64 })
  const seen3 = record(inf3)
  garbage.client.stream = (): Promise<IncomingMessage> => {
    const p = new PassThrough()
    setImmediate(() => p.write('x'.repeat(100)))
    return Promise.resolve(p as unknown as IncomingMessage)
  }
  await inf3.start()
  await until(() => seen3.length === 1, 'error')
  t.same(seen3, ['error unable to watch things: an event beyond 64 bytes'], 'an endless line is cut off, not buffered')
})

t.test('a failing list rejects start', async (t) => {
  const s = scripted({ lists: [new KubeApiError('unable to list things: HTTP 403: forbidden', 403)], watches: [] })
  const inf = new Informer({ client: s.client, path: '/x', noun: 'things' })
  await t.rejects(inf.start(), { code: 403 })
  t.same(s.watchRvs, [])
})

t.test('watches that the server ends at once are resumed with a growing delay', async (t) => {
  const s = scripted({ lists: [{ rv: '1', items: [] }], watches: Array.from({ length: 4 }, () => ({ lines: [] })) })
  const inf = new Informer({ client: s.client, path: '/x', noun: 'things' })
  t.teardown(() => inf.stop())
  const started = Date.now()
  await inf.start()
  await until(() => s.watchRvs.length === 5, 'five watches', 10_000)
  // The first resume is immediate; after the 2nd, 3rd and 4th short watch come 500, 1,000 and 2,000 ms.
  t.ok(Date.now() - started >= 3_500, `took ${Date.now() - started} ms`)
})

t.test('stop ends the watch', async (t) => {
  const s = scripted({ lists: [{ rv: '1', items: [] }], watches: [{ lines: [], hold: true }] })
  const inf = new Informer({ client: s.client, path: '/x', noun: 'things' })
  await inf.start()
  await until(() => s.open.length === 1, 'watch')
  await inf.stop()
  t.ok(s.open[0]?.destroyed)
  await new Promise((r) => setTimeout(r, 50))
  t.equal(s.watchRvs.length, 1)
})
