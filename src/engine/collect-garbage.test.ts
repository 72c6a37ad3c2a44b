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
