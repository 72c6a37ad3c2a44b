import { rmSync } from 'node:fs'
import type { ServerResponse } from 'node:http'
import { dirname } from 'node:path'
import { applyMergePatch as mergePatch, listenWithKubeconfig, standInApp } from './standin.js'

// A small HTTPS stand-in for kube-apiserver's list, watch and status endpoints of ForesightPolicy, so the
// informer's reconnect and 410 paths can be forced at will. The real kube-apiserver proves them end to end.

const PREFIX = '/apis/foresight.dev/v1alpha1'

export interface StoredObject {
  apiVersion: string
  kind: string
  metadata: { name: string; namespace: string; resourceVersion?: string; uid?: string; generation?: number; [k: string]: unknown }
  spec?: unknown
  status?: Record<string, unknown>
  [k: string]: unknown
}

interface WatchEvent { rv: number; type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: StoredObject }
interface Watcher { res: ServerResponse; namespace: string | undefined }

export interface KubeWatchStandIn {
  url: string
  kubeconfigFile: string
  calls: {
    lists: number
    /** resourceVersion asked for by each watch request, in order. */
    watches: string[]
    statusPatches: Array<{ contentType: string; body: unknown }>
  }
  /** Status codes the next list requests answer with, consumed one per request. */
  failLists: number[]
  /** Answer a watch from a compacted resourceVersion with an HTTP 410 instead of a 410 ERROR event. */
  goneAsHttpStatus: boolean
  /** Status codes the next status PATCH requests answer with, consumed one per request. */
  failStatusPatches: number[]
  /** Create or replace an object; emits ADDED or MODIFIED. */
  put(obj: StoredObject): StoredObject
  remove(namespace: string, name: string): void
  /** Forget the event history: watches from any older resourceVersion now get 410 Gone. */
  compact(): void
  /** Tell every live watch its resourceVersion is gone (410 ERROR event), then end it, as the apiserver does. */
  expireWatches(): void
  /** Cut every live watch connection abruptly. */
  dropWatches(): void
  liveWatches(): number
  get(namespace: string, name: string): StoredObject | undefined
  close(): Promise<void>
}

function status(code: number, reason: string, message: string): object {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }
}

const REASONS: Record<number, string> = { 404: 'NotFound', 409: 'Conflict', 410: 'Expired', 500: 'InternalError', 503: 'ServiceUnavailable', 403: 'Forbidden' }

export async function startKubeWatchStandIn(): Promise<KubeWatchStandIn> {
  const standIn = standInApp('watch-standin')
  const { app } = standIn

  const objects = new Map<string, StoredObject>()
  let log: WatchEvent[] = []
  let rv = 100
  let compactedRv = 0
  let uid = 0
  const watchers = new Set<Watcher>()

  const send = (w: Watcher, ev: { type: string; object: unknown }): void => { w.res.write(JSON.stringify(ev) + '\n') }
  const emit = (type: WatchEvent['type'], object: StoredObject): void => {
    const ev: WatchEvent = { rv, type, object: structuredClone(object) }
    log.push(ev)
    for (const w of watchers) if (w.namespace === undefined || w.namespace === object.metadata.namespace) send(w, ev)
  }
  const key = (ns: string, name: string): string => `${ns}/${name}`

  const state: Omit<KubeWatchStandIn, 'url' | 'kubeconfigFile' | 'close'> = {
    calls: { lists: 0, watches: [], statusPatches: [] },
    failLists: [],
    goneAsHttpStatus: false,
    failStatusPatches: [],
    put(obj) {
      const k = key(obj.metadata.namespace, obj.metadata.name)
      const old = objects.get(k)
      rv++
      const stored: StoredObject = structuredClone({
        ...obj,
        metadata: {
          ...obj.metadata,
          resourceVersion: String(rv),
          uid: old?.metadata.uid ?? `uid-${++uid}`,
          // As with a status subresource: only spec changes bump the generation.
          generation: (old?.metadata.generation ?? 0) + (JSON.stringify(old?.spec) === JSON.stringify(obj.spec) ? 0 : 1),
          creationTimestamp: (old?.metadata.creationTimestamp as string | undefined) ?? new Date().toISOString(),
        },
      })
      objects.set(k, stored)
      emit(old === undefined ? 'ADDED' : 'MODIFIED', stored)
      return structuredClone(stored)
    },
    remove(namespace, name) {
      const old = objects.get(key(namespace, name))
      if (old === undefined) return
      objects.delete(key(namespace, name))
      rv++
      emit('DELETED', { ...old, metadata: { ...old.metadata, resourceVersion: String(rv) } })
    },
    compact() {
      compactedRv = rv
      log = []
    },
    expireWatches() {
      for (const w of watchers) {
        send(w, { type: 'ERROR', object: status(410, 'Expired', 'too old resource version') })
        w.res.end()
      }
      watchers.clear()
    },
    dropWatches() {
      for (const w of watchers) w.res.socket?.destroy()
      watchers.clear()
    },
    liveWatches: () => watchers.size,
    get: (namespace, name) => structuredClone(objects.get(key(namespace, name))),
  }

  const listOrWatch = (namespace: string | undefined) => async (req: { query: unknown }, reply: import('fastify').FastifyReply): Promise<unknown> => {
    const q = req.query as { watch?: string; resourceVersion?: string }
    if (q.watch !== 'true' && q.watch !== '1') {
      state.calls.lists++
      const fail = state.failLists.shift()
      if (fail !== undefined) return reply.code(fail).send(status(fail, REASONS[fail] ?? 'InternalError', 'stand-in failure'))
      const items = [...objects.values()].filter((o) => namespace === undefined || o.metadata.namespace === namespace)
      return { apiVersion: 'foresight.dev/v1alpha1', kind: 'ForesightPolicyList', metadata: { resourceVersion: String(rv) }, items }
    }
    const from = Number(q.resourceVersion ?? '0')
    state.calls.watches.push(q.resourceVersion ?? '')
    const gone = from < compactedRv
    if (gone && state.goneAsHttpStatus) return reply.code(410).send(status(410, 'Expired', 'too old resource version'))
    reply.hijack()
    const res = reply.raw
    res.writeHead(200, { 'content-type': 'application/json' })
    // As the apiserver does: the client's watch() only returns once the headers arrive.
    res.flushHeaders()
    const w: Watcher = { res, namespace }
    if (gone) {
      send(w, { type: 'ERROR', object: status(410, 'Expired', `too old resource version: ${from} (${compactedRv})`) })
      res.end()
      return reply
    }
    for (const ev of log) if (ev.rv > from && (namespace === undefined || ev.object.metadata.namespace === namespace)) send(w, ev)
    watchers.add(w)
    res.on('close', () => watchers.delete(w))
    return reply
  }

  app.get(`${PREFIX}/foresightpolicies`, listOrWatch(undefined))
  app.get(`${PREFIX}/namespaces/:ns/foresightpolicies`, async (req, reply) => listOrWatch((req.params as { ns: string }).ns)(req, reply))

  app.get(`${PREFIX}/namespaces/:ns/foresightpolicies/:name/status`, async (req, reply) => {
    const p = req.params as { ns: string; name: string }
    const obj = objects.get(key(p.ns, p.name))
    if (obj === undefined) return reply.code(404).send(status(404, 'NotFound', `foresightpolicies.foresight.dev "${p.name}" not found`))
    return obj
  })
  app.patch(`${PREFIX}/namespaces/:ns/foresightpolicies/:name/status`, async (req, reply) => {
    const p = req.params as { ns: string; name: string }
    state.calls.statusPatches.push({ contentType: req.headers['content-type'] ?? '', body: req.body })
    const fail = state.failStatusPatches.shift()
    if (fail !== undefined) return reply.code(fail).send(status(fail, REASONS[fail] ?? 'InternalError', 'stand-in failure'))
    const obj = objects.get(key(p.ns, p.name))
    if (obj === undefined) return reply.code(404).send(status(404, 'NotFound', `foresightpolicies.foresight.dev "${p.name}" not found`))
    const body = req.body as { metadata?: { resourceVersion?: string }; status?: unknown }
    const precondition = body.metadata?.resourceVersion
    if (precondition !== undefined && precondition !== obj.metadata.resourceVersion) {
      return reply.code(409).send(status(409, 'Conflict', 'the object has been modified; please apply your changes to the latest version and try again'))
    }
    // The status subresource ignores everything but status.
    const next = { ...obj, status: mergePatch(obj.status, body.status ?? {}) as Record<string, unknown> }
    rv++
    const stored = { ...next, metadata: { ...obj.metadata, resourceVersion: String(rv) } }
    objects.set(key(p.ns, p.name), stored)
    emit('MODIFIED', stored)
    return stored
  })

  const { url, kubeconfigFile } = await listenWithKubeconfig(standIn, 'foresight')
  return Object.assign(state, {
    url,
    kubeconfigFile,
    close: async () => {
      for (const w of watchers) w.res.end()
      watchers.clear()
      await app.close()
      rmSync(dirname(kubeconfigFile), { recursive: true, force: true })
    },
  })
}
