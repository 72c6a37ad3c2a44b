import t from 'tap'
import { Gauge, Registry } from 'prom-client'
import { threadHeapText } from './thread-heap.js'

t.test('a thread reports its own heap, per space too', async (t) => {
  const text = threadHeapText('x_worker')
  const value = (name: string, from = text): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(from)?.[1] ?? NaN)
  const used = value('x_worker_heap_used_bytes')
  const total = value('x_worker_heap_total_bytes')
  t.ok(used > 1_000_000, `used ${used}`)
  t.ok(total >= used, 'total holds what is used')
  t.ok(value('x_worker_heap_external_bytes') >= 0)
  t.match(text, /^x_worker_heap_space_used_bytes\{space="old_space"\} \d+$/m)
  // Read anew each time: a big allocation between two renders shows.
  const keep = new Array(200_000).fill(0).map((_, i) => ({ i }))
  const after = value('x_worker_heap_used_bytes', threadHeapText('x_worker'))
  t.ok(after > used, `grew from ${used} to ${after} with ${keep.length} objects held`)
})

t.test('the text is what prom-client renders for the same gauges and values', async (t) => {
  const text = threadHeapText('x_worker')
  const samples = [...text.matchAll(/^(x_worker_\w+)(?:\{space="(\w+)"\})? (\d+)$/gm)]
  t.ok(samples.length >= 5, `${samples.length} samples`)
  // The same gauges registered with prom-client, set to the values the text carries.
  const registry = new Registry()
  const registers = [registry]
  const help: Record<string, string> = {
    x_worker_heap_used_bytes: 'V8 heap in use by this thread',
    x_worker_heap_total_bytes: 'V8 heap reserved by this thread',
    x_worker_heap_external_bytes: 'Memory outside the V8 heap held by this thread\'s objects (buffers, typed arrays)',
    x_worker_heap_space_used_bytes: 'V8 heap in use by this thread, per heap space',
  }
  const gauges = new Map<string, Gauge>()
  for (const [name, h] of Object.entries(help)) gauges.set(name, new Gauge({ name, help: h, registers, labelNames: name.includes('space') ? ['space'] : [] }))
  for (const [, name, space, v] of samples) {
    const g = gauges.get(name ?? '')
    if (g === undefined) return t.fail(`unexpected series ${name}`)
    if (space !== undefined) g.set({ space }, Number(v))
    else g.set(Number(v))
  }
  t.equal(text, await registry.metrics())
})
