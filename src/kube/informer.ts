import { EventEmitter } from 'node:events'
import type { IncomingMessage } from 'node:http'
import { KubeApiError } from './errors.js'
import type { KubeClient } from './rest.js'

// List, then watch from the list's resourceVersion, for one collection. What the informer owns:
// - a dropped or server-closed watch resumes from the last resourceVersion seen (no re-list);
// - bookmarks move that resourceVersion on without an event, so a quiet collection can resume too;
// - 410 Gone (an HTTP status or an ERROR event: the history was compacted) re-lists, and the re-list's
//   difference with what was known becomes add/update/delete events, so a deletion missed meanwhile is seen;
// - any other failure is emitted as 'error' and the informer stops: the caller restarts it with its backoff.

export interface KubeObject {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; [k: string]: unknown }
  [k: string]: unknown
}

interface ListResult { metadata?: { resourceVersion?: string }; items?: KubeObject[] }

interface WatchEvent { type?: string; object?: KubeObject & { code?: unknown; message?: unknown } }

export interface InformerOptions {
  client: KubeClient
  /** Collection path, e.g. /apis/foresight.dev/v1alpha1/namespaces/x/foresightpolicies. */
  path: string
  /** What is listed, for errors, e.g. "foresightpolicies.foresight.dev". */
  noun: string
  listTimeoutMs?: number
  /** The server ends each watch after a random 5-10 minutes (as client-go asks), and the informer resumes it. */
  random?: () => number
  /** The most one watch event may hold. */
  maxEventBytes?: number
}

type Events = {
  add: [KubeObject]
  update: [KubeObject]
  delete: [KubeObject]
  connect: []
  listed: []
  error: [unknown]
}

const MAX_EVENT_BYTES = 16 * 1024 * 1024
/** A watch that ended sooner than this counts as short: repeated short ones are resumed with a growing delay. */
const SHORT_WATCH_MS = 1_000
const MAX_RESUME_DELAY_MS = 30_000
/** How long past its timeoutSeconds a watch may stay open before the informer ends it itself. */
const WATCH_GRACE_SECONDS = 30

export class Informer extends EventEmitter<Events> {
  /** Key -> resourceVersion of every object known, to tell adds from updates and find deletions on a re-list. */
  private readonly known = new Map<string, { rv: string; obj: KubeObject }>()
  private resourceVersion = ''
  private abort = new AbortController()
  private running = false

  constructor(private readonly opts: InformerOptions) {
    super()
  }

  /** Lists, then starts watching; rejects when the list fails. Events after that arrive as they come. */
  async start(): Promise<void> {
    // A restart after an error: whatever the previous start left running ends here.
    this.abort.abort()
    this.abort = new AbortController()
    this.running = true
    await this.list()
    void this.watchLoop(this.abort.signal)
  }

  stop(): Promise<void> {
    this.running = false
    this.abort.abort()
    return Promise.resolve()
  }

  private async list(): Promise<void> {
    const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.opts.listTimeoutMs ?? 30_000)])
    const res = await this.opts.client.request<ListResult>({ method: 'GET', path: this.opts.path, signal, what: `list ${this.opts.noun}` })
    if (!this.running) return
    const seen = new Set<string>()
    for (const obj of res.items ?? []) {
      const key = keyOf(obj)
      seen.add(key)
      this.upsert(key, obj)
    }
    for (const [key, { obj }] of this.known) {
      if (seen.has(key)) continue
      this.known.delete(key)
      this.emit('delete', obj)
    }
    this.resourceVersion = res.metadata?.resourceVersion ?? ''
    this.emit('listed')
  }

  private upsert(key: string, obj: KubeObject): void {
    const rv = obj.metadata?.resourceVersion ?? ''
    const old = this.known.get(key)
    // Only what a deletion event needs is kept: the caller holds the objects it cares about.
    this.known.set(key, { rv, obj: { metadata: { name: obj.metadata?.name, namespace: obj.metadata?.namespace, resourceVersion: rv } } })
    if (old === undefined) this.emit('add', obj)
    else if (old.rv !== rv || rv === '') this.emit('update', obj)
  }

  private async watchLoop(signal: AbortSignal): Promise<void> {
    let shortWatches = 0
    for (;;) {
      if (signal.aborted) return
      let outcome: 'resume' | 'gone'
      const startedAt = Date.now()
      try {
        outcome = await this.watchOnce(signal)
      } catch (err) {
        if (signal.aborted) return
        if (err instanceof KubeApiError && err.code === 410) outcome = 'gone'
        else {
          this.running = false
          this.emit('error', err)
          return
        }
      }
      if (signal.aborted) return
      // A server that ends every watch at once must not be asked again in a tight loop.
      shortWatches = Date.now() - startedAt < SHORT_WATCH_MS ? shortWatches + 1 : 0
      if (shortWatches > 1) await delay(Math.min(MAX_RESUME_DELAY_MS, 125 * 2 ** shortWatches), signal)
      if (signal.aborted) return
      if (outcome === 'gone') {
        try {
          await this.list()
        } catch (err) {
          if (signal.aborted) return
          this.running = false
          this.emit('error', err)
          return
        }
      }
    }
  }

  /** One watch request: 'resume' when the stream ended or dropped, 'gone' on a 410; throws on other failures. */
  private async watchOnce(signal: AbortSignal): Promise<'resume' | 'gone'> {
    const random = this.opts.random ?? Math.random
    const timeoutSeconds = Math.round(300 * (1 + random()))
    const res = await this.opts.client.stream({
      path: this.opts.path,
      query: { watch: 1, resourceVersion: this.resourceVersion, allowWatchBookmarks: true, timeoutSeconds },
      signal,
      what: `watch ${this.opts.noun}`,
    })
    this.emit('connect')
    return this.consume(res, (timeoutSeconds + WATCH_GRACE_SECONDS) * 1000)
  }

  /** `deadlineMs`: a connection that died without a FIN would otherwise be waited on for ever. */
  private consume(res: IncomingMessage, deadlineMs: number): Promise<'resume' | 'gone'> {
    const max = this.opts.maxEventBytes ?? MAX_EVENT_BYTES
    return new Promise((resolve, reject) => {
      let buffered = ''
      let done = false
      const deadline = setTimeout(() => finish('resume'), deadlineMs)
      deadline.unref()
      const finish = (outcome: 'resume' | 'gone' | Error): void => {
        if (done) return
        done = true
        clearTimeout(deadline)
        res.destroy()
        if (outcome instanceof Error) reject(outcome)
        else resolve(outcome)
      }
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        buffered += chunk
        let nl: number
        while (!done && (nl = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, nl)
          buffered = buffered.slice(nl + 1)
          if (line.trim() !== '') {
            const outcome = this.handleLine(line)
            if (outcome !== undefined) finish(outcome)
          }
        }
        if (!done && buffered.length > max) finish(new KubeApiError(`unable to watch ${this.opts.noun}: an event beyond ${max} bytes`, 0))
      })
      // A cut connection and a server-side timeout both mean: resume from the last resourceVersion.
      res.on('end', () => finish('resume'))
      res.on('error', () => finish('resume'))
      res.on('close', () => finish('resume'))
    })
  }

  private handleLine(line: string): 'gone' | Error | undefined {
    let event: WatchEvent
    try {
      event = JSON.parse(line) as WatchEvent
    } catch {
      return new KubeApiError(`unable to watch ${this.opts.noun}: an event that is no JSON`, 0)
    }
    const obj = event.object
    if (obj === undefined) return undefined
    if (event.type === 'ERROR') {
      const code = typeof obj.code === 'number' ? obj.code : 0
      if (code === 410) return 'gone'
      return new KubeApiError(`unable to watch ${this.opts.noun}: ${code > 0 ? `HTTP ${code}: ` : ''}${typeof obj.message === 'string' ? obj.message : 'error event'}`, code)
    }
    const rv = obj.metadata?.resourceVersion
    if (rv !== undefined && rv !== '') this.resourceVersion = rv
    const key = keyOf(obj)
    switch (event.type) {
      case 'ADDED':
      case 'MODIFIED':
        this.upsert(key, obj)
        break
      case 'DELETED':
        this.known.delete(key)
        this.emit('delete', obj)
        break
      default:
        // BOOKMARK: only its resourceVersion matters, taken above.
        break
    }
    return undefined
  }
}

function keyOf(obj: KubeObject): string {
  return `${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    timer.unref()
    function done(): void {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
  })
}
