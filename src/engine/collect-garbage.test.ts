import { getHeapStatistics } from 'node:v8'
import { runInNewContext } from 'node:vm'
import t from 'tap'
import { fullCollection } from './collect-garbage.js'

t.test('collects the garbage of this thread at once, without leaving gc to the contexts made later', async (t) => {
  const gc = fullCollection()
  if (gc === undefined) return t.fail('no full collection on this runtime')
  gc()
  const before = getHeapStatistics().used_heap_size
  // About 40 MB of short arrays, dropped at once: a scavenge promotes what a refresh keeps across its awaits.
  const holder: { keep?: number[][] } = { keep: Array.from({ length: 200_000 }, (_, i) => [i, i + 0.5, i + 0.25, i + 0.125]) }
  const grown = getHeapStatistics().used_heap_size
  t.ok(grown - before > 10 * 1048576, 'the garbage is on the heap')
  t.equal(holder.keep?.length, 200_000)
  delete holder.keep
  gc()
  t.ok(getHeapStatistics().used_heap_size - before < 5 * 1048576, 'and gone after the collection')
  t.equal(runInNewContext('typeof gc'), 'undefined', 'the flag is not left on')
})

t.test('hands back the pages the garbage left half empty', async (t) => {
  const gc = fullCollection()
  if (gc === undefined) return t.fail('no full collection on this runtime')
  gc()
  // Every tenth object kept: a plain full collection leaves most pages in use, each holding a few survivors.
  const kept: Array<{ a: number; b: number[] }> = []
  for (let r = 0; r < 3; r++) {
    const batch = Array.from({ length: 300_000 }, (_, i) => ({ a: i, b: [i, i + 0.5] }))
    for (let i = 0; i < batch.length; i += 10) kept.push(batch[i] ?? { a: 0, b: [] })
  }
  const garbage = getHeapStatistics().used_heap_size
  gc()
  const after = getHeapStatistics()
  t.equal(kept.length, 90_000)
  t.ok(after.total_heap_size - after.used_heap_size < 0.5 * (garbage - after.used_heap_size), `reserved but unused after: ${((after.total_heap_size - after.used_heap_size) / 1048576).toFixed(1)} MiB`)
})

t.test('a plain full collection frees the garbage too', async (t) => {
  const gc = fullCollection('full')
  if (gc === undefined) return t.fail('no full collection on this runtime')
  gc()
  const before = getHeapStatistics().used_heap_size
  const holder: { keep?: number[][] } = { keep: Array.from({ length: 200_000 }, (_, i) => [i, i + 0.5, i + 0.25, i + 0.125]) }
  t.ok(getHeapStatistics().used_heap_size - before > 10 * 1048576, 'the garbage is on the heap')
  delete holder.keep
  gc()
  t.ok(getHeapStatistics().used_heap_size - before < 5 * 1048576, 'and gone after the collection')
})
