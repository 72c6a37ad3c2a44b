import t from 'tap'
import { float32s, float64s, uint32s, withSlab } from './slab.js'

const make = (n = 3): { a: Float64Array; b: Float32Array; c: Uint32Array; d: Float64Array } => ({ a: float64s(n), b: float32s(3), c: uint32s(5), d: float64s(2) })

t.test('outside a slab every array has a buffer of its own', async (t) => {
  const x = make()
  t.not(x.a.buffer, x.d.buffer)
  t.equal(x.a.buffer.byteLength, x.a.byteLength)
})

t.test('the first of a kind is measured; the next ones are views on one buffer of that size', async (t) => {
  const first = withSlab('test-kind', () => make())
  t.not(first.a.buffer, first.d.buffer, 'the measured one keeps separate buffers')
  const x = withSlab('test-kind', () => make())
  const buf = x.a.buffer
  for (const arr of [x.b, x.c, x.d]) t.equal(arr.buffer, buf, 'one buffer')
  // 3 doubles, 3 floats (12 bytes, padded to 16), 5 uint32 (20, padded to 24), 2 doubles.
  t.equal(buf.byteLength, 24 + 16 + 24 + 16)
  t.same([x.a.byteOffset, x.b.byteOffset, x.c.byteOffset, x.d.byteOffset], [0, 24, 40, 64], 'each at a multiple of 8')
  t.ok([x.a, x.b, x.c, x.d].every((arr) => arr.every((v) => v === 0)), 'zeroed like new arrays')
  x.a.fill(1)
  x.b.fill(2)
  x.c.fill(3)
  x.d.fill(4)
  t.same([[...x.a], [...x.b], [...x.c], [...x.d]], [[1, 1, 1], [2, 2, 2], [3, 3, 3, 3, 3], [4, 4]], 'no array writes into another')
  const y = withSlab('test-kind', () => make())
  t.not(y.a.buffer, buf, 'each object has a slab of its own')
})

t.test('what does not fit the measured size gets buffers of its own', async (t) => {
  withSlab('test-grow', () => make(1))
  // Measured: 8 + 16 + 24 + 16 = 64 bytes. Now a takes 32 and b 16; c (24) no longer fits, nor d after it.
  const x = withSlab('test-grow', () => make(4))
  t.equal(x.a.length, 4)
  t.equal(x.b.buffer, x.a.buffer, 'what fits is carved')
  t.equal(x.a.buffer.byteLength, 64)
  t.equal(x.c.buffer.byteLength, 20, 'what does not has its own')
  t.equal(x.d.buffer.byteLength, 16)
})

t.test('a slab ends with its withSlab, also when making throws', async (t) => {
  withSlab('test-throw', () => make())
  t.throws(() => withSlab('test-throw', () => { float64s(1); throw new Error('boom') }), /boom/)
  const outside = float64s(2)
  t.equal(outside.buffer.byteLength, 16, 'after it, arrays have their own buffers again')
})
