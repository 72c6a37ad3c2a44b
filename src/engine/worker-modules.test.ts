import { Worker } from 'node:worker_threads'
import t from 'tap'
import { loadConfig } from '../config/load.js'
import { adapterConfigSchema } from '../config/adapter-config.js'
import { engineWorkerData } from './worker-host.js'

// What the engine's worker thread loads decides its heap: every package is a second copy of what the main thread
// may have loaded already (bench:memory, the engine worker with one policy). These tests start the real worker
// entry with a module-load hook in its thread and read back every module it loaded once it was ready.

const packageOf = (url: string): string | undefined => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1]

async function workerPackages(...set: string[]): Promise<Set<string>> {
  const cfg = loadConfig(adapterConfigSchema, { env: {}, set: ['logLevel=silent', ...set] })
  const entry = new URL('./worker.ts', import.meta.url).href
  const tsx = import.meta.resolve('tsx/esm/api')
  // The hook goes in first, so it sees every module the entry loads, static and dynamic imports alike; the
  // entry's module finishes evaluating once the engine is built and 'ready' is posted.
  const code = `
const { registerHooks } = require('node:module')
const { parentPort } = require('node:worker_threads')
const loaded = []
registerHooks({ load(url, context, next) { loaded.push(url); return next(url, context) } })
import(${JSON.stringify(tsx)})
  .then((api) => { api.register(); return import(${JSON.stringify(entry)}) })
  .then(() => parentPort.postMessage({ type: 'loaded', urls: loaded }))`
  const worker = new Worker(code, { eval: true, workerData: engineWorkerData(cfg, false) })
  try {
    const urls = await new Promise<string[]>((resolve, reject) => {
      worker.on('message', (m: { type: string; urls?: string[]; message?: string }) => {
        if (m.type === 'loaded') resolve(m.urls ?? [])
        else if (m.type === 'start-failed') reject(new Error(m.message))
      })
      worker.on('error', reject)
    })
    return new Set(urls.map(packageOf).filter((p): p is string => p !== undefined))
  } finally {
    await worker.terminate()
  }
}

// Each of these has a copy on the main thread, which needs it; the worker does not.
const MAIN_THREAD_ONLY = ['zod', 'prom-client', '@opentelemetry/api', '@kubernetes/client-node', 'fastify', 'yaml']

t.test('with a replayed trace the worker loads the model runtime and its logger, nothing of the main thread\'s', async (t) => {
  const loaded = await workerPackages()
  t.ok(loaded.has('onnxruntime-node') && loaded.has('pino'), `the hook saw the packages the worker runs: ${[...loaded].join(' ')}`)
  for (const p of MAIN_THREAD_ONLY) t.notOk(loaded.has(p), `no ${p}`)
  for (const p of ['prometheus-query', 'axios']) t.notOk(loaded.has(p), `no ${p}: the Prometheus client is for a Prometheus source only`)
})

t.test('with a Prometheus source the worker loads its client too, and still nothing of the main thread\'s but zod', async (t) => {
  const loaded = await workerPackages('source.kind=prometheus', 'source.url=http://127.0.0.1:9')
  t.ok(loaded.has('prometheus-query'), 'the Prometheus client')
  // zod checks Prometheus's answers (prometheus/parse.ts).
  for (const p of MAIN_THREAD_ONLY.filter((x) => x !== 'zod')) t.notOk(loaded.has(p), `no ${p}`)
})
