import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8'

// A worker thread's V8 heap, which the process metrics (nodejs_heap_*) do not include: they describe the main
// thread's isolate only. Rendered as text here rather than through prom-client's gauges: the engine's worker would
// load prom-client (and the tracing API it imports) for these four series alone, about 2 MiB of its heap
// (bench:memory). The text is what prom-client renders for the same gauges (thread-heap.test.ts).

/**
 * `<prefix>_heap_{used,total}_bytes`, `<prefix>_heap_external_bytes` and per-space used bytes, read now, in the
 * Prometheus text format (ending in a newline).
 */
export function threadHeapText(prefix: string): string {
  const heap = getHeapStatistics()
  const gauge = (name: string, help: string, samples: Array<[string, number]>): string =>
    [`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, ...samples.map(([labels, v]) => `${name}${labels} ${v}`)].join('\n')
  return [
    gauge(`${prefix}_heap_used_bytes`, 'V8 heap in use by this thread', [['', heap.used_heap_size]]),
    gauge(`${prefix}_heap_total_bytes`, 'V8 heap reserved by this thread', [['', heap.total_heap_size]]),
    gauge(`${prefix}_heap_external_bytes`, 'Memory outside the V8 heap held by this thread\'s objects (buffers, typed arrays)', [['', heap.external_memory]]),
    // V8's space names are identifiers (old_space, large_object_space): nothing in them needs escaping.
    gauge(`${prefix}_heap_space_used_bytes`, 'V8 heap in use by this thread, per heap space',
      getHeapSpaceStatistics().map((s) => [`{space="${s.space_name}"}`, s.space_used_size])),
  ].join('\n\n') + '\n'
}
