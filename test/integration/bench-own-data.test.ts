import t from 'tap'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { nabCorpusFixture, runBench, userTraceFixture } from '../helpers/bench-fixtures.js'

// The benches on data of one's own, run from the sources with the real model: a per-minute trace (and one every
// 5 minutes) for bench:forecast and bench:autoscale, a split of one's own for bench:autoscale --source, a corpus in NAB's layout for bench:nab.
const trace = userTraceFixture('synthetic-3d.csv')
const dir = mkdtempSync(join(tmpdir(), 'bench-own-data-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

/** The fixture with its rows 4 and 5 swapped: timestamps no longer increase at row 5 (header = row 1). */
const badTrace = join(dir, 'swapped.csv')
{
  const lines = readFileSync(trace, 'utf8').split('\n')
  const [a, b] = [lines[3] ?? '', lines[4] ?? '']
  lines[3] = b
  lines[4] = a
  writeFileSync(badTrace, lines.join('\n'))
}

const FORECASTERS = ['model', 'last', 'snaive_day', 'holt_winters', 'fft', 'moving_avg', 'ses', 'holt_damped']

t.test('bench:forecast --trace: the model and every baseline at each horizon, and model / best of all', async (t) => {
  const r = await runBench('forecast', ['--trace', trace])
  t.equal(r.code, 0, r.stderr)
  for (const h of [5, 15, 30]) for (const f of FORECASTERS) t.match(r.stdout, new RegExp(`^${h} min\\s+${f}\\s+\\d+\\.\\d+\\s`, 'm'), `${h} min ${f}`)
  t.match(r.stdout, /last 20% is held out \(rows 3456\.\.4319\)/)
  t.match(r.stdout, /^synthetic-3d\.csv\s+\d\.\d+ \(\w+\)\s+\d\.\d+ \(\w+\)\s+\d\.\d+ \(\w+\)\s+\d\.\d+\s+(yes|no)/m, 'summary: model / best of all at 5, 15 and 30 min')
  t.match(r.stdout, /fitted: moving_avg k=\d+, ses alpha=[\d.]+, holt_damped alpha=/)
})

t.test('bench:autoscale --trace: reactive HPAs at 100/90/80/70 %, every predictive baseline, Foresight', async (t) => {
  const frontierFile = join(dir, 'frontier.svg')
  const r = await runBench('autoscale', ['--trace', trace, '--no-charts', '--frontier-chart', frontierFile])
  t.equal(r.code, 0, r.stderr)
  for (const s of ['reactive', 'reactive@90%', 'reactive@80%', 'reactive@70%', 'holt-winters', 'fft-periodic', 'moving-average', 'ses', 'holt-damped', 'foresight']) {
    t.match(r.stdout, new RegExp(`^${s}\\s+\\d+\\.\\d\\s+\\d+\\.\\d%`, 'm'), s)
  }
  t.match(r.stdout, /capacityPerReplica [\d.]+ \(value units\) per replica: the mean of the first 80 %/)
  t.match(r.stdout, /^foresight: under-provisioned \d+ min \/ best of all baselines at no more replica-minutes|^foresight: every baseline spends more/m)
  // The frontier on a trace of one's own: both sweeps and the ratio at equal replica-minutes, and its chart on request.
  t.match(r.stdout, /^reactive\s+50%\s+\d+/m)
  t.match(r.stdout, /^foresight\s+70%\s+\d+/m)
  t.match(r.stdout, /^defaults \(targetUtilization 1\): /m)
  t.match(readFileSync(frontierFile, 'utf8'), /Foresight \(spec\.targetUtilization\)/, 'the frontier drawn')
})

t.test('a bad trace: exit 1 and one line saying what and where', async (t) => {
  for (const bench of ['forecast', 'autoscale']) {
    const bad = await runBench(bench, ['--trace', badTrace])
    t.equal(bad.code, 1, `${bench}: exit code`)
    t.equal(bad.stderr.trim(), `error: ${badTrace}: row 5: timestamp 1735689720 is not after the previous row's (timestamps must increase)`, `${bench}: message`)
    const missing = await runBench(bench, ['--trace', join(dir, 'nope.csv')])
    t.equal(missing.code, 1)
    t.match(missing.stderr, /^error: .*nope\.csv: no such file or not readable \(ENOENT\)\n$/)
  }
})

/** The fixture as 5-minute means (864 rows): a trace at another regular step, and two series of a split of one's own. */
const rows5 = ((): string[] => {
  const rows = readFileSync(trace, 'utf8').trim().split('\n').slice(1).map((l) => l.split(','))
  const out: string[] = []
  for (let k = 0; (k + 1) * 5 <= rows.length; k++) {
    const bucket = rows.slice(k * 5, (k + 1) * 5)
    // A bucket with a missing minute (the fixture has five) stays empty: a gap, not a lower mean.
    const empty = bucket.some((r) => (r[1] ?? '') === '')
    out.push(`${bucket[0]?.[0] ?? ''},${empty ? '' : (bucket.reduce((a, r) => a + Number(r[1]), 0) / 5).toFixed(3)}`)
  }
  return out
})()
const trace5 = join(dir, 'five.csv')
writeFileSync(trace5, ['timestamp,value', ...rows5].join('\n'))

t.test('bench:autoscale --trace at a 5-minute step: the policy reads at that step, the minutes are minutes', async (t) => {
  const r = await runBench('autoscale', ['--trace', trace5, '--no-charts'])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /^# series step 300s: the policy's spec\.stepSeconds/m)
  t.match(r.stdout, /refreshed every 300s \(once per sample\)/)
  // Rows 691..863 of 864: 173 five-minute rows are 865 scored minutes, not 173.
  t.match(r.stdout, /rows 691\.\.863, /)
  t.match(r.stdout, /^# 865 scored minutes/m)
  t.match(r.stdout, /^reactive\(10m\)\s+\d+\.\d/m, 'the longer rate window is two samples')
  t.match(r.stdout, /^frontier: /m)

  const irregular = join(dir, 'irregular.csv')
  writeFileSync(irregular, ['timestamp,value', ...rows5.map((l, i) => (i === 100 ? l.replace(/^(\d+),/, (_, ts: string) => `${Number(ts) + 120},`) : l))].join('\n'))
  const bad = await runBench('autoscale', ['--trace', irregular])
  t.equal(bad.code, 1)
  t.equal(bad.stderr.trim(), `error: ${irregular}: row 102: 420 s after the previous row; the trace must be every 5 minutes (steps of 300 s, its most common spacing; gaps a whole number of steps)`)
})

t.test('bench:autoscale --source: every series of a split\'s source on its held-out rows, minutes pooled', async (t) => {
  const data = join(dir, 'data')
  mkdirSync(join(data, 'mine'), { recursive: true })
  writeFileSync(join(data, 'mine', 'a.csv'), ['timestamp,value', ...rows5].join('\n'))
  // b: the same shape at ten times the load; its capacity follows, so its figures are a's.
  writeFileSync(join(data, 'mine', 'b.csv'), ['timestamp,value', ...rows5.map((l) => l.replace(/,([\d.]+)$/, (_, v: string) => `,${(10 * Number(v)).toFixed(2)}`))].join('\n'))
  const entry = (path: string): object => ({ path, family: 'mine', rows: 864, step_seconds: 300, period_day_steps: 288, heldout_start_index: 700 })
  const split = join(dir, 'split.json')
  writeFileSync(split, JSON.stringify({ files: [entry('mine/a.csv'), entry('mine/b.csv')] }))
  const r = await runBench('autoscale', ['--source', 'mine', '--split', split, '--data-dir', data], 240_000)
  t.equal(r.code, 0, r.stderr)
  const perSeries = [...r.stdout.matchAll(/^([ab])\.csv: step 300s, rows 700\.\.863, 0 spacings not 300s, capacity [\d.]+; reactive@80% (\d+) min \/ (\d+) replica-min/gm)]
  t.equal(perSeries.length, 2, 'one line per series')
  t.match(r.stdout, /^# pooled over 2 series: 1640 scored minutes/m, '164 held-out rows of 5 minutes each, twice')
  const pooled80 = /^reactive@80%\s+([\d.]+)\s+[\d.]+%\s+[\d.]+%\s+(\d+)\s/m.exec(r.stdout)
  const sum = perSeries.reduce((a, m) => a + Number(m[3]), 0)
  t.ok(pooled80 !== null && Math.abs(Number(pooled80[2]) - sum) <= 2, `pooled replica-minutes ${pooled80?.[2]} = the series' sum ${sum}`)
  t.match(r.stdout, /^frontier ratios \(foresight \/ reactive at equal replica-minutes\) at reactive 90 \/ 80 \/ 70 %: [\d.-]+ \/ [\d.-]+ \/ [\d.-]+$/m)
  t.match(r.stdout, /^defaults vs reactive@80%: under-provisioned [\d.]+ vs [\d.]+ min/m)

  const unknown = await runBench('autoscale', ['--source', 'nope', '--split', split, '--data-dir', data])
  t.equal(unknown.code, 1)
  t.equal(unknown.stderr.trim(), 'error: --source nope: no series of that source in the split (sources: mine)')
  const both = await runBench('autoscale', ['--source', 'mine', '--trace', trace5])
  t.equal(both.code, 1)
  t.equal(both.stderr.trim(), 'error: --source and --trace exclude each other')
})

t.test('bench:nab --data --results: scores a corpus in NAB\'s layout and writes NAB result files', async (t) => {
  const out = join(dir, 'results')
  const r = await runBench('nab', ['--data', nabCorpusFixture(), '--results', out])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /1 series \(grp\)/)
  // One detector: the one the adapter serves.
  t.same(readdirSync(out), ['foresight'])
  for (const detector of ['foresight']) {
    const file = join(out, detector, 'grp', `${detector}_tiny.csv`)
    t.ok(existsSync(file), file)
    const lines = readFileSync(file, 'utf8').trim().split('\n')
    t.equal(lines[0], 'timestamp,value,anomaly_score,label')
    t.same(lines.slice(1).map((l) => l.split(',')[3]), ['0', '0', '1', '1', '1', '0'])
  }
  const oneGroup = await runBench('nab', ['--data', nabCorpusFixture(), '--logo'])
  t.equal(oneGroup.code, 1)
  t.match(oneGroup.stderr, /^error: --logo needs at least two groups under data\/, found 1\n$/)
  const bad = await runBench('nab', ['--data', join(dir, 'no-corpus')])
  t.equal(bad.code, 1)
  t.match(bad.stderr, /^error: .*no-corpus: no such directory \(NAB layout: data\/<group>\/\*\.csv, labels\/combined_windows\.json, config\/profiles\.json\)\n$/)
})
