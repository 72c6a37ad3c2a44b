import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8'
import { Gauge, type Registry } from 'prom-client'

// A worker thread's V8 heap, which the process metrics (nodejs_heap_*) do not include: they describe the main
// thread's isolate only. Read when the registry renders, so the figures are as of the scrape's render.

/** Registers `<prefix>_heap_{used,total}_bytes`, `<prefix>_heap_external_bytes` and per-space used bytes. */
export function threadHeapGauges(registry: Registry, prefix: string): void {
  const registers = [registry]
  new Gauge({ name: `${prefix}_heap_used_bytes`, help: 'V8 heap in use by this thread', registers, collect(): void { this.set(getHeapStatistics().used_heap_size) } })
  new Gauge({ name: `${prefix}_heap_total_bytes`, help: 'V8 heap reserved by this thread', registers, collect(): void { this.set(getHeapStatistics().total_heap_size) } })
  new Gauge({ name: `${prefix}_heap_external_bytes`, help: 'Memory outside the V8 heap held by this thread\'s objects (buffers, typed arrays)', registers, collect(): void { this.set(getHeapStatistics().external_memory) } })
  new Gauge({
    name: `${prefix}_heap_space_used_bytes`,
    help: 'V8 heap in use by this thread, per heap space',
    labelNames: ['space'],
    registers,
    collect(): void {
      for (const s of getHeapSpaceStatistics()) this.set({ space: s.space_name }, s.space_used_size)
    },
  })
}
