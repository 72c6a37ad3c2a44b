// npm run bench:memory: where the whole adapter's memory goes, per thread, at 1, 1,000 and 10,000 policies
// (BENCH_POLICIES=1,1000 picks the sizes). Each size runs the real adapter in its own process (bench/api-target.ts:
// kubernetes auth mode, the engine on its worker thread); with more than one policy every policy reads its own
// series from a real Prometheus (bench/prometheus-target.ts; BENCH_SOURCE=prometheus for one policy too, as
// deployed: the engine then loads the Prometheus client). After BENCH_REFRESHES refreshes it reads the
// adapter's /metrics: the process's RSS, the main thread's V8 heap (nodejs_heap_*) and the engine worker's
// (foresight_engine_worker_heap_*), per heap space; what neither heap holds is native memory: onnxruntime, code,
// thread stacks, malloc arenas.
import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { readFile } from 'node:fs/promises'
import { cpus } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { makeTestPki } from '../test/helpers/pki.js'

const sizes = (process.env.BENCH_POLICIES ?? '1,1000,10000').split(',').map(Number)
const refreshes = Number(process.env.BENCH_REFRESHES ?? '3')
const MiB = 1048576

const children: ChildProcess[] = []
process.once('exit', () => {
  for (const c of children) c.kill('SIGTERM')
})

async function firstLine(child: ChildProcess & { stdout: Readable }): Promise<string> {
  const first = await Promise.race([
    once(createInterface({ input: child.stdout }), 'line').then(([l]) => ({ line: String(l) })),
    once(child, 'exit').then(([code]) => ({ code: String(code) })),
  ])
  if ('line' in first) return first.line
  throw new Error(`a benchmark process exited (${first.code}) before it was ready`)
}

async function stop(child: ChildProcess): Promise<void> {
  child.kill('SIGTERM')
  if (child.exitCode === null) await once(child, 'exit')
}

/** Every sample of the text exposition as name{labels} -> value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?) (\S+)$/.exec(line)
    if (m?.[1] !== undefined) out.set(m[1], Number(m[2]))
  }
  return out
}

interface Row { policies: number; values: Map<string, number> }

async function measure(policies: number): Promise<Row> {
  const prometheus = policies > 1 || process.env.BENCH_SOURCE === 'prometheus' ? spawn(process.execPath, [join(import.meta.dirname, 'prometheus-target.js'), String(policies)], { stdio: ['ignore', 'pipe', 'inherit'] }) : undefined
  if (prometheus !== undefined) children.push(prometheus)
  const prometheusUrl = prometheus === undefined ? [] : [(JSON.parse(await firstLine(prometheus)) as { url: string }).url]
  const pki = makeTestPki()
  const server = spawn(process.execPath, [...process.execArgv, join(import.meta.dirname, 'api-target.js'), pki.servingFiles.certFile, pki.servingFiles.keyFile, pki.requestHeaderCAFile, String(policies), ...prometheusUrl], { stdio: ['pipe', 'pipe', 'inherit'] })
  children.push(server)
  const { metricsUrl } = JSON.parse(await firstLine(server)) as { metricsUrl: string }
  const refreshCount = async (): Promise<number> => samples(await (await fetch(`${metricsUrl}/metrics`)).text()).get('foresight_refresh_duration_seconds_count{phase="history"}') ?? 0
  const deadline = Date.now() + 15 * 60_000
  while ((await refreshCount()) < refreshes) {
    if (Date.now() > deadline) throw new Error(`${policies} policies: fewer than ${refreshes} refreshes in 15 minutes`)
    await sleep(1000)
  }
  const values = samples(await (await fetch(`${metricsUrl}/metrics`)).text())
  // The process's largest RSS so far (Linux): what a container's memory limit must allow, refreshes included.
  const peak = /^VmHWM:\s+(\d+) kB$/m.exec(await readFile(`/proc/${server.pid}/status`, 'utf8').catch(() => ''))
  if (peak?.[1] !== undefined) values.set('peak_resident_memory_bytes', Number(peak[1]) * 1024)
  await stop(server)
  if (prometheus !== undefined) await stop(prometheus)
  return { policies, values }
}

const rows: Row[] = []
for (const n of sizes) rows.push(await measure(n))

const get = (r: Row, name: string): number => r.values.get(name) ?? NaN
const spaces = ['new_space', 'old_space', 'code_space', 'large_object_space']
const lines: Array<[string, (r: Row) => number]> = [
  ['process RSS', (r) => get(r, 'process_resident_memory_bytes')],
  ['process peak RSS (VmHWM)', (r) => get(r, 'peak_resident_memory_bytes')],
  ['main thread V8 heap, total', (r) => get(r, 'nodejs_heap_size_total_bytes')],
  ['main thread V8 heap, used', (r) => get(r, 'nodejs_heap_size_used_bytes')],
  ...spaces.map((s): [string, (r: Row) => number] => [`  main ${s}`, (r) => get(r, `nodejs_heap_space_size_used_bytes{space="${s.replace(/_space$/, '')}"}`)]),
  ['main thread external (buffers)', (r) => get(r, 'nodejs_external_memory_bytes')],
  ['engine worker V8 heap, total', (r) => get(r, 'foresight_engine_worker_heap_total_bytes')],
  ['engine worker V8 heap, used', (r) => get(r, 'foresight_engine_worker_heap_used_bytes')],
  ...spaces.map((s): [string, (r: Row) => number] => [`  worker ${s}`, (r) => get(r, `foresight_engine_worker_heap_space_used_bytes{space="${s}"}`)]),
  ['engine worker external (buffers)', (r) => get(r, 'foresight_engine_worker_heap_external_bytes')],
  ['outside both heaps (native: onnxruntime, code, stacks, malloc)', (r) =>
    get(r, 'process_resident_memory_bytes') - get(r, 'nodejs_heap_size_total_bytes') - get(r, 'foresight_engine_worker_heap_total_bytes')
    - get(r, 'nodejs_external_memory_bytes') - get(r, 'foresight_engine_worker_heap_external_bytes')],
]
console.log(`\nbench:memory  ${new Date().toISOString()}  node ${process.version}  ${cpus().length} CPUs  after ${refreshes} refreshes; MiB`)
console.log(`${''.padEnd(64)}${rows.map((r) => `${r.policies} policies`.padStart(16)).join('')}`)
for (const [label, f] of lines) console.log(`${label.padEnd(64)}${rows.map((r) => (f(r) / MiB).toFixed(1).padStart(16)).join('')}`)
console.log('targets: < 150 MiB with one policy, < 500 MB at 10,000 policies (process RSS)')
