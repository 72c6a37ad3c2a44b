import t from 'tap'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { runBench, userTraceFixture } from '../helpers/bench-fixtures.js'
import { modelSha256 } from '../../bench/lib/model-files.js'
import { bundledModel } from '../../src/model/onnx.js'

// bench:forecast --source/--model/--split/--data-dir/--json, as models/loso.sh runs it for the leave-one-source-out
// evaluation, on a split of one's own over the three-day fixture (the real model; no data outside the repository).
const dir = mkdtempSync(join(tmpdir(), 'bench-source-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const fixturesDir = dirname(dirname(userTraceFixture('synthetic-3d.csv')))
const split = join(dir, 'split.json')
writeFileSync(split, JSON.stringify({
  files: [{ path: 'user-trace/synthetic-3d.csv', family: 'own', rows: 4320, step_seconds: 60, period_day_steps: 1440, period_week_steps: 10080, heldout_start_index: 3456 }],
}))

interface Summary { source: string; modelSha256: string; series: string[]; windows: number; horizons: { minutes: number; ratio: number; best: string; p90Coverage: number }[] }
const readJson = (file: string): Summary => JSON.parse(readFileSync(file, 'utf8')) as Summary

t.test('one source of a split, scored by the code of --trace: the same ratios, any model file', async (t) => {
  const json = join(dir, 'default.json')
  const r = await runBench('forecast', ['--source', 'user-trace', '--split', split, '--data-dir', fixturesDir, '--json', json])
  t.equal(r.code, 0, r.stderr)
  const s = readJson(json)
  t.equal(s.source, 'user-trace')
  t.same(s.series, ['user-trace/synthetic-3d.csv'])
  t.equal(s.modelSha256, modelSha256(bundledModel().onnxPath))
  t.same(s.horizons.map((h) => h.minutes), [5, 15, 30])
  for (const h of s.horizons) t.ok(Number.isFinite(h.ratio) && h.p90Coverage > 0 && h.p90Coverage <= 1, `${h.minutes} min`)

  // --trace holds out the same last 20 %: its summary row must give the same model / best of all.
  const tr = await runBench('forecast', ['--trace', userTraceFixture('synthetic-3d.csv')])
  t.equal(tr.code, 0, tr.stderr)
  const row = /^synthetic-3d\.csv\s+(\d\.\d+) \((\w+)\)\s+(\d\.\d+) \((\w+)\)\s+(\d\.\d+) \((\w+)\)/m.exec(tr.stdout)
  t.ok(row, 'the --trace summary row')
  s.horizons.forEach((h, k) => {
    t.equal(h.ratio.toFixed(3), row?.[1 + 2 * k], `${h.minutes} min ratio`)
    t.equal(h.best, row?.[2 + 2 * k], `${h.minutes} min best baseline`)
  })

  const explicit = join(dir, 'explicit.json')
  const m = await runBench('forecast', ['--source', 'user-trace', '--model', bundledModel().onnxPath, '--split', split, '--data-dir', fixturesDir, '--json', explicit])
  t.equal(m.code, 0, m.stderr)
  t.same(readJson(explicit).horizons, s.horizons, '--model FILE scores that file (here the bundled one again)')
})

t.test('bad options: exit 1 and one line', async (t) => {
  const unknown = await runBench('forecast', ['--source', 'nope', '--split', split, '--data-dir', fixturesDir])
  t.equal(unknown.code, 1)
  t.equal(unknown.stderr, 'error: --source nope: no series of that source in the split (sources: user-trace)\n')
  const missing = join(dir, 'none.onnx')
  const noModel = await runBench('forecast', ['--source', 'user-trace', '--model', missing])
  t.equal(noModel.code, 1)
  t.equal(noModel.stderr, `error: model file missing: ${missing}\n`)
  const stray = await runBench('forecast', ['--json', join(dir, 'x.json')])
  t.equal(stray.code, 1)
  t.equal(stray.stderr, 'error: --split, --data-dir and --json go with --source\n')
})
