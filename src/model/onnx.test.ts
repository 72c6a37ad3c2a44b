import t from 'tap'
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { packageRoot } from '../util/paths.js'
import { HORIZON_STEPS, RECENT_STEPS, SEASONAL_STEPS, allocateBatch, bundledModel, createForecasterSession, sha256Hex, runForecastBatch } from './onnx.js'

interface Case {
  recent: number[]
  seasonal: number[][]
  seasonal_mask: number[]
  expected: number[][]
}

const vectorsPath = join(packageRoot(), 'models', 'testvectors.json')
const ready = existsSync(bundledModel().onnxPath) && existsSync(vectorsPath)

t.test('batched run reproduces the stored test vectors', { skip: ready ? false : 'model artifact not present' }, async (t) => {
  const cases = (JSON.parse(readFileSync(vectorsPath, 'utf8')) as { cases: Case[] }).cases.slice(0, 3)
  const batch = allocateBatch(4)
  cases.forEach((c, i) => {
    batch.recent.set(c.recent, i * RECENT_STEPS)
    c.seasonal.forEach((row, r) => batch.seasonal.set(row, (i * 2 + r) * SEASONAL_STEPS))
    batch.seasonalMask.set(c.seasonal_mask, i * 2)
  })
  const session = await createForecasterSession()
  const out = await runForecastBatch(session, batch, cases.length)
  t.equal(out.length, cases.length * HORIZON_STEPS * 3)
  let worst = 0
  cases.forEach((c, i) =>
    c.expected.forEach((qs, h) =>
      qs.forEach((e, q) => {
        const got = out[(i * HORIZON_STEPS + h) * 3 + q] ?? NaN
        worst = Math.max(worst, Math.abs(got - e) / Math.max(1, Math.abs(e)))
      }),
    ),
  )
  t.ok(worst <= 1e-4, `max relative difference ${worst}`)
  await t.rejects(runForecastBatch(session, batch, 5), RangeError)
})

t.test('model fingerprint is the sha256 of the file', { skip: ready ? false : 'model artifact not present' }, async (t) => {
  t.match(sha256Hex(readFileSync(bundledModel().onnxPath)), /^[0-9a-f]{64}$/)
  t.equal(sha256Hex(readFileSync(vectorsPath)), createHash('sha256').update(readFileSync(vectorsPath)).digest('hex'))
})
