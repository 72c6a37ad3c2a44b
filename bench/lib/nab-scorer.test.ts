import t from 'tap'
import { NAB_PROFILES, probationaryRows, scaledSigmoid, scoreCorpus, type DetectorFile } from './nab-scorer.js'

const std = NAB_PROFILES.standard

function file(name: string, rows: number, windows: [number, number][], hits: Record<number, number>): DetectorFile {
  const scores = new Float64Array(rows)
  for (const [i, v] of Object.entries(hits)) scores[Number(i)] = v
  return { name, scores, windows: windows.map(([leftIndex, rightIndex]) => ({ leftIndex, rightIndex })) }
}

t.test('scaled sigmoid and probation follow the README', async (t) => {
  t.equal(scaledSigmoid(0), 0)
  t.ok(Math.abs(scaledSigmoid(-1) - 0.9866142981514305) < 1e-12)
  t.equal(scaledSigmoid(3), -1)
  t.equal(probationaryRows(100), 15)
  t.equal(probationaryRows(4032), 604)
  t.equal(probationaryRows(10000), 750)
})

t.test('perfect detector scores 100, null detector 0, on every profile', async (t) => {
  const windows: [number, number][] = [[40, 49], [70, 79]]
  for (const [name, profile] of Object.entries(NAB_PROFILES)) {
    const perfect = scoreCorpus([file('a', 100, windows, { 40: 1, 70: 1 })], profile)
    t.ok(Math.abs(perfect.normalised - 100) < 1e-9, `${name} perfect`)
    t.equal(perfect.files[0]?.truePositives, 2)
    const nothing = scoreCorpus([file('a', 100, windows, {})], profile)
    t.equal(nothing.normalised, 0, `${name} null`)
    t.equal(nothing.raw, -2 * profile.fnWeight)
  }
})

t.test('a late detection and two false positives, hand computed', async (t) => {
  // Window rows 40..49 (width 10). Row 45: y = -(49-45+1)/10 = -0.5 -> 0.848283/0.986614 = 0.859793.
  // Row 20: before any window -> -0.11. Row 55: (55-49)/9 past the window -> 0.11*ss(0.667) = -0.102422.
  // Row 10 is probationary and ignored. Best threshold 0.9 keeps only the TP: raw 0.859793.
  const a = file('a', 100, [[40, 49]], { 10: 1, 20: 0.8, 45: 0.9, 55: 0.8 })
  const one = scoreCorpus([a], std)
  t.equal(one.threshold, 0.9)
  t.ok(Math.abs(one.raw - 0.8597925669097837) < 1e-9)
  t.ok(Math.abs(one.normalised - 92.98962834548918) < 1e-9)

  // With a second file whose window is only caught at 0.8 (left edge, +1) next to one FP, the corpus-wide
  // optimum moves to 0.8: 0.859793 - 0.11 - 0.102422 + 1 - 0.11 = 1.537371.
  const b = file('b', 100, [[60, 69]], { 20: 0.8, 60: 0.8 })
  const two = scoreCorpus([a, b], std)
  t.equal(two.threshold, 0.8)
  t.ok(Math.abs(two.raw - 1.53737050995635) < 1e-9)
  t.equal(two.null, -2)
  t.equal(two.perfect, 2)
  t.ok(Math.abs(two.normalised - 88.4342627489087) < 1e-9)
  t.same(two.files.map((f) => [f.truePositives, f.falsePositives, f.falseNegatives]), [[1, 2, 0], [1, 1, 0]])
})

t.test('only the first detection in a window counts', async (t) => {
  const early = scoreCorpus([file('a', 100, [[40, 49]], { 40: 1 })], std)
  const both = scoreCorpus([file('a', 100, [[40, 49]], { 40: 1, 48: 1 })], std)
  t.equal(both.raw, early.raw)
})

t.test('rejects overlapping windows', async (t) => {
  t.throws(() => scoreCorpus([file('a', 100, [[40, 49], [45, 60]], {})], std), RangeError)
})

t.test('rejects scores that are not numbers in [0,1], naming the file and row', async (t) => {
  for (const bad of [NaN, -0.1, 1.5]) {
    const f = file('bad', 100, [[40, 49]], { 30: bad })
    t.throws(() => scoreCorpus([f], std), { name: 'RangeError', message: `bad: score at row 30 is ${String(bad)}, not in [0,1]` })
  }
})

t.test('a fixed threshold is applied as given, not swept', async (t) => {
  // The swept optimum for these two files is 0.8 (test above); at a fixed 0.9 file b's window is missed
  // (-1) and its false positive is not charged: 0.859793 - 1 = -0.140207.
  const a = file('a', 100, [[40, 49]], { 10: 1, 20: 0.8, 45: 0.9, 55: 0.8 })
  const b = file('b', 100, [[60, 69]], { 20: 0.8, 60: 0.8 })
  const fixed = scoreCorpus([a, b], std, 0.9)
  t.equal(fixed.threshold, 0.9)
  t.ok(Math.abs(fixed.raw - (0.8597925669097837 - 1)) < 1e-9)
  t.same(fixed.files.map((f) => [f.truePositives, f.falsePositives, f.falseNegatives]), [[1, 0, 0], [0, 0, 1]])
  // At the swept optimum the fixed score equals the swept one.
  t.ok(Math.abs(scoreCorpus([a, b], std, 0.8).normalised - scoreCorpus([a, b], std).normalised) < 1e-12)
})
