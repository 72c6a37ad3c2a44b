import t from 'tap'
import { ContextSet, setHas, setRegion, setTestAndAdd } from './context-set.js'

t.test('the bitmap is exact', async (t) => {
  const s = new ContextSet(100, undefined)
  t.equal(s.bloom, false)
  t.equal(s.bytes, 16)
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
  const s = new ContextSet(65536, 512)
  t.equal(s.bloom, true)
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
  t.throws(() => new ContextSet(65536, 2), RangeError)
})

t.test('an exact bitmap when it fits the byte limit, a Bloom filter of the limit otherwise', async (t) => {
  t.same(setRegion(4096, 512, 3), { offset: 3, words: 128, bloom: false })
  t.same(setRegion(4097, 512), { offset: 0, words: 128, bloom: true })
  t.same(setRegion(1 << 20, undefined), { offset: 0, words: 32768, bloom: false })
})

t.test('sets sharing one buffer keep to their own regions', async (t) => {
  const a = setRegion(64, undefined, 0)
  const b = setRegion(1 << 16, 64, a.words)
  const buf = new Uint32Array(a.words + b.words)
  for (let k = 0; k < 64; k++) setTestAndAdd(buf, a, k)
  t.ok(buf.subarray(0, a.words).every((w) => w === 0xffffffff))
  t.ok(buf.subarray(a.words).every((w) => w === 0), 'the filter region is untouched')
  t.equal(setHas(buf, b, 5), false)
  setTestAndAdd(buf, b, 5)
  t.equal(setHas(buf, b, 5), true)
  t.equal(setHas(buf, a, 5), true)
})
