import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Worker } from 'node:worker_threads'
import { pino } from 'pino'
import t, { type Test } from 'tap'
import { loadConfig } from '../config/load.js'
import { adapterConfigSchema, type AdapterConfig } from '../config/adapter-config.js'
import { FilePolicySource } from '../policy/file-source.js'
import type { PolicyResult } from './types.js'
import type { Policy } from '../policy/schema.js'
import { EngineHost } from './worker-host.js'
import { modelFiles } from '../model/files.js'
import { bundledPolicies } from '../commands/adapter.js'
import { BACKGROUND_NICE } from '../util/thread-priority.js'

const silent = pino({ level: 'silent' })
/** The series as text, whichever thread rendered them. */
const text = (m: string | Uint8Array): string => (typeof m === 'string' ? m : new TextDecoder().decode(m))
const config = (...set: string[]): AdapterConfig => loadConfig(adapterConfigSchema, { env: {}, set: ['logLevel=silent', ...set] })

async function demoPolicies(): Promise<readonly Policy[]> {
  const source = new FilePolicySource({ file: bundledPolicies(), log: silent })
  await source.start()
  const list = source.list()
  await source.close()
  return list
}

async function startHost(t: Test, cfg = config()): Promise<EngineHost> {
  const host = await EngineHost.start(cfg, silent)
  t.teardown(() => host.close())
  return host
}

// The worker is private: these tests reach it to kill it as a crash would.
const workerOf = (host: EngineHost): Worker | undefined => Reflect.get(host, 'worker') as Worker | undefined

t.test('a refresh on the worker thread is served from the main thread', async (t) => {
  const host = await startHost(t)
  const policies = await demoPolicies()
  const { timings } = await host.refresh(policies)
  t.ok(timings.historyMs >= 0 && timings.inferenceMs >= 0, 'timings come back')
  const r = host.result('default/demo')
  t.equal(r?.reason, 'Predicted')
  t.ok(Number.isInteger(r?.desiredReplicas) && (r?.desiredReplicas ?? 0) >= 1, `desired replicas ${r?.desiredReplicas}`)
  t.same([...host.resultsNamed('default', ['demo', 'absent'])].map((x) => x.name), ['demo'])
  t.same([...host.allResults('elsewhere')], [])
  const series = text(await host.policyMetrics())
  t.match(series, /^foresight_desired_replicas\{namespace="default",policy="demo",reason="Predicted"\} \d+$/m, 'the worker rendered the policy series')
  t.match(series, /^# TYPE foresight_forecast_load gauge$/m)
  t.match(series, /^foresight_engine_worker_heap_used_bytes [1-9]\d+$/m, 'the worker reports its own heap, which nodejs_heap_* does not cover')

  // A changed policy object is sent again; the worker computes with it.
  const [demo] = policies
  if (demo === undefined) throw new Error('no demo policy')
  const capped: Policy = { ...demo, spec: { ...demo.spec, minReplicas: 1, maxReplicas: 1 } }
  await host.refresh([capped])
  t.same(host.result('default/demo')?.explain.bounds, { minReplicas: 1, maxReplicas: 1 }, 'computed with the changed spec')

  // A removed policy's result is gone on both threads.
  await host.refresh([])
  t.equal(host.result('default/demo'), undefined)
})

t.test('a worker that dies fails the refresh in progress; the next refresh starts a new one', async (t) => {
  // In the adapter its servers keep the process alive while a worker is torn down; here a timer does.
  const alive = setInterval(() => {}, 1000)
  t.teardown(() => clearInterval(alive))
  const host = await startHost(t)
  const policies = await demoPolicies()
  await host.refresh(policies)
  const first = workerOf(host)
  const running = host.refresh(policies)
  await first?.terminate()
  await t.rejects(running, /the engine worker exited with code 1/)
  t.equal(host.result('default/demo')?.reason, 'Predicted', 'the last results are still served (the backstop ages them)')
  // After a failed refresh the series are what the API serves, set on this thread by the refresh loop.
  await host.gauges().publish([['default/demo', { ...host.result('default/demo'), reason: 'StaleValue', desiredReplicas: 3 } as PolicyResult]])
  t.match(text(await host.policyMetrics()), /^foresight_desired_replicas\{namespace="default",policy="demo",reason="StaleValue"\} 3$/m)
  await host.refresh(policies)
  t.not(workerOf(host), first, 'a new worker')
  t.equal(host.result('default/demo')?.reason, 'Predicted')
  t.match(text(await host.policyMetrics()), /reason="Predicted"/, 'the worker renders the series again')
  t.notMatch(text(await host.policyMetrics()), /StaleValue/)
})

t.test('a model the worker cannot load fails the start with its own message', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'foresight-engine-host-'))
  const onnx = join(dir, 'model.onnx')
  writeFileSync(onnx, 'not a model')
  await t.rejects(EngineHost.start(config(`model.file=${onnx}`), silent), /^unable to load model .*model\.onnx: sha256 [0-9a-f]{64} does not match/)
})

t.test('model metadata that does not fit fails the start with its own message, read before the worker starts', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'foresight-engine-host-'))
  const meta = join(dir, 'model.json')
  writeFileSync(meta, JSON.stringify({ ...JSON.parse(readFileSync(modelFiles({}).metaPath, 'utf8')) as object, window: 30 }))
  await t.rejects(EngineHost.start(config(`model.metadataFile=${meta}`), silent), { name: 'ModelLoadError', message: /^unable to load model .*foresight-forecaster\.onnx: metadata .*model\.json: window: / })
})

t.test('after close, refresh is refused', async (t) => {
  const host = await EngineHost.start(config(), silent)
  await host.close()
  await t.rejects(host.refresh([]), /the engine is closed/)
})

t.test('the worker asks the main thread for scale reads (it loads no Kubernetes client)', async (t) => {
  // A Prometheus that is not there: every refresh fails, and after failureThreshold of them the currentReplicas
  // fallback needs the live replica count, which only the main thread can read.
  const [demo] = await demoPolicies()
  if (demo === undefined) throw new Error('no demo policy')
  const policy: Policy = { ...demo, spec: { ...demo.spec, fallback: { ...demo.spec.fallback, failureThreshold: 1, behavior: 'currentReplicas' }, minReplicas: 2, maxReplicas: 9 } }
  const asked: unknown[] = []
  const host = await EngineHost.start(config('source.kind=prometheus', 'source.url=http://127.0.0.1:9', 'source.timeoutMs=200'), silent, async (w) => {
    asked.push(w)
    return 7
  })
  t.teardown(() => host.close())
  for (let i = 0; i < 2; i++) await host.refresh([policy])
  t.same(asked[0], { metadata: { namespace: 'default' }, spec: { scaleTargetRef: { kind: policy.spec.scaleTargetRef.kind, name: policy.spec.scaleTargetRef.name } } }, 'only what a scale read needs crosses the thread')
  const r = host.result('default/demo')
  t.equal(r?.reason, 'Fallback')
  t.equal(r?.desiredReplicas, 7, 'the answer reached the engine on the worker')

  const unreadable = await EngineHost.start(config('source.kind=prometheus', 'source.url=http://127.0.0.1:9', 'source.timeoutMs=200'), silent, async () => { throw new Error('forbidden') })
  t.teardown(() => unreadable.close())
  for (let i = 0; i < 2; i++) await unreadable.refresh([policy])
  const r2 = unreadable.result('default/demo')
  t.equal(r2?.desiredReplicas, undefined, 'a failed read is answered as unknown (not left hanging): nothing is served')
  t.equal(r2?.reason, 'NoData')
})

t.test('the engine\'s worker thread and V8\'s platform threads run behind the API thread', { skip: process.platform === 'linux' ? false : 'needs /proc' }, async (t) => {
  const niceOf = (task: string): number => Number(readFileSync(`/proc/self/task/${task}/stat`, 'utf8').split(') ')[1]?.split(' ')[16])
  const commOf = (task: string): string => { try { return readFileSync(`/proc/self/task/${task}/comm`, 'utf8').trim() } catch { return '' } }
  const before = niceOf(String(process.pid))
  const host = await startHost(t)
  await host.refresh(await demoPolicies())
  const tasks = readdirSync('/proc/self/task')
  const workers = tasks.filter((task) => commOf(task) === 'WorkerThread' && niceOf(task) === Math.max(BACKGROUND_NICE, before))
  t.ok(workers.length >= 1, 'a worker thread at the background nice value')
  for (const task of tasks.filter((x) => commOf(x) === 'V8Worker')) t.ok(niceOf(task) >= BACKGROUND_NICE, `V8Worker ${task} at nice ${niceOf(task)}`)
  t.equal(niceOf(String(process.pid)), before, 'the main thread, which answers the API, is untouched')
})
