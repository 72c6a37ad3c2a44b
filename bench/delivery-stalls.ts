// The API thread's longest stalls while the engine's worker delivers refreshes, and what they coincide with:
// the main thread's handling of each results message, its own garbage collections, or neither (another thread had
// the CPU). The real adapter runs in this process (bench/api-target.ts's policies against bench/prometheus-target.ts
// in its own process), without load.
// Run: npm run build:bench && MALLOC_ARENA_MAX=2 node --max-semi-space-size=8 dist-bench/bench/delivery-stalls.js [POLICIES [SECONDS]]
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import { EngineHost } from '../src/engine/worker-host.js'
import type { FromEngineWorker } from '../src/engine/worker-protocol.js'
import { startTestAdapter } from '../test/helpers/adapter.js'
import { servicePolicy } from './services.js'

const policies = Number(process.argv[2] ?? '10000')
const seconds = Number(process.argv[3] ?? '70')
const prometheus = spawn(process.execPath, [join(import.meta.dirname, 'prometheus-target.js'), String(policies)], { stdio: ['ignore', 'pipe', 'inherit'] })
process.once('exit', () => prometheus.kill('SIGTERM'))
const [line] = await once(createInterface({ input: prometheus.stdout }), 'line') as [string]
const { url } = JSON.parse(line) as { url: string }
const file = join(mkdtempSync(join(tmpdir(), 'foresight-bench-stalls-')), 'policies.yaml')
writeFileSync(file, Array.from({ length: policies }, (_, i) => servicePolicy(i)).join('\n---\n'))

interface Event { at: number; ms: number; what: string }
// The host's message handler is private; timing it from outside is what this bench is for.
const handled: Event[] = []
const proto = EngineHost.prototype as unknown as { onMessage: (m: FromEngineWorker) => void }
const onMessage = proto.onMessage
proto.onMessage = function (this: unknown, m: FromEngineWorker): void {
  const t0 = performance.now()
  onMessage.call(this, m)
  handled.push({ at: t0, ms: performance.now() - t0, what: m.type })
}
const adapter = await startTestAdapter(['policies.file=' + file, 'source.kind=prometheus', 'source.url=' + url])

const gcs: Event[] = []
const GC_KIND: Record<number, string> = { 1: 'scavenge', 2: 'mark-compact', 4: 'incremental marking', 8: 'weak callbacks' }
const observer = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcs.push({ at: e.startTime + e.duration, ms: e.duration, what: GC_KIND[(e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ?? 0] ?? 'other' })
})
observer.observe({ entryTypes: ['gc'] })
const delay = monitorEventLoopDelay({ resolution: 1 })
delay.enable()
const gaps: Event[] = []
let last = performance.now()
const timer = setInterval(() => {
  const now = performance.now()
  if (now - last > 5) gaps.push({ at: now, ms: now - last, what: 'gap' })
  last = now
}, 1)
const start = performance.now()
await sleep(seconds * 1000)
clearInterval(timer)
delay.disable()
observer.disconnect()

const top = (xs: Event[], n = 8): string => [...xs].sort((a, b) => b.ms - a.ms).slice(0, n).map((x) => `${x.ms.toFixed(1)}${x.what === 'gap' || x.what === 'results' ? '' : ` (${x.what})`}@${((x.at - start) / 1000).toFixed(1)}s`).join(' ')
const near = (xs: Event[], ys: Event[], ms: number): Event[] => xs.filter((x) => ys.some((y) => Math.abs(x.at - y.at) < ms))
const results = handled.filter((h) => h.what === 'results')
const longGcs = gcs.filter((g) => g.ms > 5)
console.log(`\nbench:delivery-stalls  ${new Date().toISOString()}  ${policies} policies, ${seconds} s, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`)
console.log(`event loop delay (1 ms resolution): p50 ${(delay.percentile(50) / 1e6).toFixed(2)} ms, p99 ${(delay.percentile(99) / 1e6).toFixed(2)} ms, max ${(delay.max / 1e6).toFixed(1)} ms`)
console.log(`gaps over 5 ms between ticks of a 1 ms interval: ${gaps.length}; longest ${top(gaps)}`)
console.log(`results messages handled: ${results.length}; longest handler ${top(results, 4)} ms; all of them ${results.reduce((a, r) => a + r.ms, 0).toFixed(1)} ms`)
console.log(`main-thread GC pauses: ${gcs.length}, ${gcs.reduce((a, g) => a + g.ms, 0).toFixed(0)} ms in all; over 5 ms: ${top(longGcs, 10)}`)
const inDelivery = near(gaps, results, 50)
console.log(`gaps within 50 ms of a results message: ${inDelivery.length}; longest ${top(inDelivery)}`)
const withGc = near(gaps, longGcs, 10)
console.log(`gaps with a GC pause over 5 ms ending within 10 ms: ${withGc.length} of ${gaps.length}; longest ${top(withGc)}`)
await adapter.close()
process.exit(0)
