import t from 'tap'
import { BitmapSet, BloomSet, contextSet } from './context-set.js'

t.test('the bitmap is exact', async (t) => {
  const s = new BitmapSet(100)
  t.equal(s.bytes, 13)
  t.equal(s.testAndAdd(7), false)
  t.equal(s.testAndAdd(7), true)
  t.equal(s.has(8), false)
  t.equal(s.has(99), false)
  s.testAndAdd(99)
  t.equal(s.has(99), true)
  s.clear()
  t.equal(s.has(7), false)
})

t.test('the Bloom filter never forgets a key and rarely claims an unseen one', async (t) => {
  const s = new BloomSet(512)
  t.equal(s.bytes, 512)
  // 400 keys in 4,096 bits (about 10 bits a key): the false-positive rate with 3 probes is about 1.7 %.
  const keys = Array.from({ length: 400 }, (_, i) => (i * 7919) % 65536)
  let claimed = 0
  for (const k of keys) if (s.testAndAdd(k)) claimed++
  t.ok(keys.every((k) => s.has(k)), 'no false negatives')
  t.ok(claimed <= 12, `at most about 3 % of new keys claimed as seen (got ${claimed})`)
  let unseen = 0
  for (let k = 100000; k < 110000; k++) if (s.has(k)) unseen++
  t.ok(unseen > 0 && unseen < 400, `false positives on unseen keys near the expected 1.7 % (got ${unseen} of 10,000)`)
  s.clear()
  t.notOk(keys.some((k) => s.has(k)))
  t.throws(() => new BloomSet(2), RangeError)
})

t.test('an exact bitmap when it fits the byte limit, a Bloom filter of the limit otherwise', async (t) => {
  t.ok(contextSet(4096, 512) instanceof BitmapSet)
  t.ok(contextSet(4097, 512) instanceof BloomSet)
  t.equal(contextSet(32768, 512).bytes, 512)
  t.ok(contextSet(1 << 20, undefined) instanceof BitmapSet)
})
