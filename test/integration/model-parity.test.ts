// Parity of models/foresight-forecaster.onnx under onnxruntime-node with the training framework (numpy) outputs
// stored in models/testvectors.json, plus the ONNX interface contract and metadata_props.
// Tolerance: |onnx - expected| <= 1e-4 * max(1, |expected|, max|recent|): absolute below 1, otherwise relative to
// the larger of the value and the input window's magnitude (the graph computes loc + scale * z in float32, so a
// small output from a window of huge values carries rounding error proportional to the window's magnitude).
import t from 'tap'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as ort from 'onnxruntime-node'

const here = dirname(fileURLToPath(import.meta.url))
const modelsDir = join(here, '..', '..', 'models')
const onnxPath = join(modelsDir, 'foresight-forecaster.onnx')
const WINDOW = 60
const SEASONAL = 90
const HORIZONS = 30
const NQ = 3
const TOL = 1e-4

interface TestCase {
  source: string
  origin_index: number
  recent: number[]
  seasonal: number[][]
  seasonal_mask: number[]
  expected: number[][]
}
interface TestVectors {
  tolerance: string
  cases: TestCase[]
}

/** Reads ModelProto.metadata_props (field 14: repeated StringStringEntryProto {key = 1, value = 2}). */
function readMetadataProps(buf: Buffer): Map<string, string> {
  const props = new Map<string, string>()
  const varint = (b: Buffer, pos: number): [number, number] => {
    let result = 0
    let mul = 1
    let p = pos
    for (;;) {
      const byte = b[p]
      if (byte === undefined) throw new Error('truncated varint')
      p += 1
      result += (byte & 0x7f) * mul
      if ((byte & 0x80) === 0) return [result, p]
      mul *= 128
    }
  }
  const fields = (b: Buffer, cb: (field: number, value: Buffer) => void): void => {
    let p = 0
    while (p < b.length) {
      const [tag, p1] = varint(b, p)
      const field = Math.floor(tag / 8)
      const wire = tag % 8
      if (wire === 0) {
        p = varint(b, p1)[1]
      } else if (wire === 1) {
        p = p1 + 8
      } else if (wire === 5) {
        p = p1 + 4
      } else if (wire === 2) {
        const [len, p2] = varint(b, p1)
        cb(field, b.subarray(p2, p2 + len))
        p = p2 + len
      } else {
        throw new Error(`unsupported wire type ${wire}`)
      }
    }
  }
  fields(buf, (field, value) => {
    if (field !== 14) return
    let key = ''
    let val = ''
    fields(value, (f, v) => {
      if (f === 1) key = v.toString('utf8')
      if (f === 2) val = v.toString('utf8')
    })
    props.set(key, val)
  })
  return props
}

const vectors = JSON.parse(readFileSync(join(modelsDir, 'testvectors.json'), 'utf8')) as TestVectors
const metaJson = JSON.parse(readFileSync(join(modelsDir, 'foresight-forecaster.json'), 'utf8')) as Record<
  string,
  unknown
>
const onnxBytes = readFileSync(onnxPath)

function feeds(cases: TestCase[]): Record<string, ort.Tensor> {
  const n = cases.length
  const recent = new Float32Array(n * WINDOW)
  const seasonal = new Float32Array(n * 2 * SEASONAL)
  const mask = new Float32Array(n * 2)
  cases.forEach((c, i) => {
    recent.set(c.recent, i * WINDOW)
    seasonal.set(c.seasonal.flat(), i * 2 * SEASONAL)
    mask.set(c.seasonal_mask, i * 2)
  })
  return {
    recent: new ort.Tensor('float32', recent, [n, WINDOW]),
    seasonal: new ort.Tensor('float32', seasonal, [n, 2, SEASONAL]),
    seasonal_mask: new ort.Tensor('float32', mask, [n, 2]),
  }
}

await t.test('artifact and metadata', async (tt) => {
  tt.ok(onnxBytes.length < 5 * 1024 * 1024, 'onnx file < 5 MB')
  const sha = createHash('sha256').update(onnxBytes).digest('hex')
  tt.equal(metaJson.onnx_sha256, sha, 'foresight-forecaster.json holds the sha256 of the .onnx file')
  const props = readMetadataProps(onnxBytes)
  tt.ok((props.get('version') ?? '').length > 0, 'version present')
  tt.equal(props.get('version'), metaJson.version, 'version matches json')
  tt.equal(props.get('window'), '60')
  tt.equal(props.get('seasonal_length'), '90')
  tt.equal(props.get('horizons'), '30')
  tt.equal(props.get('quantiles'), '0.1,0.5,0.9')
  for (const k of ['inputs', 'outputs', 'step_note', 'training_data_sha256', 'seed']) {
    tt.ok((props.get(k) ?? '').length > 0, `metadata_props has ${k}`)
    tt.equal(props.get(k), String(metaJson[k]), `${k} matches json`)
  }
  tt.match(props.get('training_data_sha256') ?? '', /^[0-9a-f]{64}$/)
  await Promise.resolve()
})

await t.test('interface contract', async (tt) => {
  const session = await ort.InferenceSession.create(onnxPath)
  tt.same([...session.inputNames], ['recent', 'seasonal', 'seasonal_mask'])
  tt.same([...session.outputNames], ['quantiles'])
  const shapes = new Map<string, ReadonlyArray<number | string>>()
  for (const m of [...session.inputMetadata, ...session.outputMetadata]) {
    if (m.isTensor) {
      tt.equal(m.type, 'float32', `${m.name} is float32`)
      shapes.set(m.name, m.shape)
    }
  }
  tt.same(shapes.get('recent')?.slice(1), [WINDOW])
  tt.same(shapes.get('seasonal')?.slice(1), [2, SEASONAL])
  tt.same(shapes.get('seasonal_mask')?.slice(1), [2])
  tt.same(shapes.get('quantiles')?.slice(1), [HORIZONS, NQ])
  await session.release()
})

await t.test('parity with training framework outputs', async (tt) => {
  tt.ok(vectors.cases.length >= 8, 'at least 8 test vectors')
  tt.ok(
    vectors.cases.some((c) => c.seasonal_mask.every((m) => m === 0)),
    'includes a case with both seasonal rows masked',
  )
  const session = await ort.InferenceSession.create(onnxPath)
  const out = await session.run(feeds(vectors.cases))
  const q = out.quantiles
  tt.ok(q !== undefined, 'output quantiles present')
  if (q === undefined) return
  tt.same(q.dims, [vectors.cases.length, HORIZONS, NQ])
  const data = q.data as Float32Array
  let maxScaled = 0
  let monotone = true
  vectors.cases.forEach((c, i) => {
    const inMag = Math.max(...c.recent.map((v) => Math.abs(v)))
    for (let h = 0; h < HORIZONS; h++) {
      const row = c.expected[h] ?? []
      for (let k = 0; k < NQ; k++) {
        const got = data[(i * HORIZONS + h) * NQ + k] ?? Number.NaN
        const want = row[k] ?? Number.NaN
        maxScaled = Math.max(maxScaled, Math.abs(got - want) / Math.max(1, Math.abs(want), inMag))
        if (k > 0 && got < (data[(i * HORIZONS + h) * NQ + k - 1] ?? Number.NaN)) monotone = false
      }
    }
  })
  tt.ok(maxScaled <= TOL, `max |diff| / max(1, |expected|, max|recent|) = ${maxScaled.toExponential(2)} <= ${TOL}`)
  tt.ok(monotone, 'quantiles non-decreasing along the last axis')
  // single-row run gives the same numbers as the batched run
  const first = vectors.cases[0]
  if (first !== undefined) {
    const one = await session.run(feeds([first]))
    const d1 = one.quantiles?.data as Float32Array
    let m1 = 0
    for (let j = 0; j < HORIZONS * NQ; j++) m1 = Math.max(m1, Math.abs((d1[j] ?? 0) - (data[j] ?? 0)))
    tt.ok(m1 <= TOL, 'batch of 1 matches batched output')
  }
  await session.release()
})
