import t from 'tap'
import { dominantPeriod, fftInPlace } from './fft.js'

t.test('FFT of impulses', async (t) => {
  const re = new Float64Array([0, 1, 0, 0])
  const im = new Float64Array(4)
  fftInPlace(re, im)
  // DFT of a delay by one: e^{-2 pi i k/4} = 1, -i, -1, i.
  const close = (a: Float64Array, b: number[]): boolean => b.every((v, i) => Math.abs((a[i] ?? NaN) - v) < 1e-12)
  t.ok(close(re, [1, 0, -1, 0]))
  t.ok(close(im, [0, -1, 0, 1]))
  t.throws(() => fftInPlace(new Float64Array(3), new Float64Array(3)), RangeError)
})

t.test('dominant period of a noisy sine', async (t) => {
  const xs = Array.from({ length: 256 }, (_, i) => Math.sin((2 * Math.PI * i) / 16) + 0.1 * Math.cos(i * 1.7))
  const p = dominantPeriod(xs, 2)
  t.equal(p?.periodSteps, 16)
  t.ok((p?.powerShare ?? 0) > 0.8)
  t.equal(dominantPeriod([1, 2, 3], 2), undefined, 'too short')
})
