import t from 'tap'
import { Registry } from 'prom-client'
import { threadHeapGauges } from './thread-heap.js'

t.test('a thread reports its own heap, per space too', async (t) => {
  const registry = new Registry()
  threadHeapGauges(registry, 'x_worker')
  const text = await registry.metrics()
  const value = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN)
  const used = value('x_worker_heap_used_bytes')
  const total = value('x_worker_heap_total_bytes')
  t.ok(used > 1_000_000, `used ${used}`)
  t.ok(total >= used, 'total holds what is used')
  t.ok(value('x_worker_heap_external_bytes') >= 0)
  t.match(text, /^x_worker_heap_space_used_bytes\{space="old_space"\} \d+$/m)
  // Rendered anew each time: a big allocation between two renders shows.
  const keep = new Array(200_000).fill(0).map((_, i) => ({ i }))
  const after = Number(/^x_worker_heap_used_bytes (\S+)$/m.exec(await registry.metrics())?.[1] ?? NaN)
  t.ok(after > used, `grew from ${used} to ${after} with ${keep.length} objects held`)
})
