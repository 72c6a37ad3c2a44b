import t, { type Test } from 'tap'
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadNabCorpus, NabLayoutError, writeNabResults } from './nab-corpus.js'
import { NAB_PROFILES } from './nab-scorer.js'
import { repoRoot } from './traces.js'

const FIXTURE = join(repoRoot(), 'test', 'fixtures', 'foresight-data', 'nab')

/** A copy of the tiny fixture corpus to break. */
function corpusCopy(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'nab-corpus-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  cpSync(FIXTURE, dir, { recursive: true })
  return dir
}

t.test('reads the tiny fixture corpus', async (t) => {
  const c = loadNabCorpus(FIXTURE)
  t.same(c.files.map((f) => f.name), ['grp/tiny.csv'])
  t.same(c.files[0]?.windows, [{ leftIndex: 2, rightIndex: 4 }])
  t.same([...c.profiles.keys()], ['standard'])
  t.same(c.notes, [])
})

t.test('without config/profiles.json: NAB\'s standard profiles, and a note saying so', async (t) => {
  const dir = corpusCopy(t)
  rmSync(join(dir, 'config'), { recursive: true })
  const c = loadNabCorpus(dir)
  t.same(Object.fromEntries(c.profiles), NAB_PROFILES)
  t.match(c.notes[0], /config\/profiles\.json missing: NAB's standard profiles are used/)
})

t.test('layout errors: one line naming the file', async (t) => {
  const cases: Array<[string, (dir: string) => void, RegExp]> = [
    ['no data dir', (d) => rmSync(join(d, 'data'), { recursive: true }), /data: no such directory \(NAB layout: data\/<group>\/\*\.csv/],
    ['no CSV files', (d) => rmSync(join(d, 'data', 'grp', 'tiny.csv')), /no data\/<group>\/\*\.csv files/],
    ['no labels', (d) => rmSync(join(d, 'labels'), { recursive: true }), /labels\/combined_windows\.json: missing/],
    ['labels not JSON', (d) => writeFileSync(join(d, 'labels', 'combined_windows.json'), '{'), /combined_windows\.json: not valid JSON/],
    ['labels a list', (d) => writeFileSync(join(d, 'labels', 'combined_windows.json'), '[]'), /combined_windows\.json: expected an object/],
    ['a file without labels', (d) => writeFileSync(join(d, 'labels', 'combined_windows.json'), '{}'), /no entry for data\/grp\/tiny\.csv \(a file without anomalies needs an empty list\)/],
    ['a bad window', (d) => writeFileSync(join(d, 'labels', 'combined_windows.json'), '{"grp/tiny.csv": [["2014-04-01 00:10:00"]]}'), /grp\/tiny\.csv: window 1: expected \[start, end\]/],
    ['a window ending before it starts', (d) => writeFileSync(join(d, 'labels', 'combined_windows.json'), '{"grp/tiny.csv": [["2014-04-01 00:20:00", "2014-04-01 00:10:00"]]}'), /window 1: ends before it starts/],
    ['a window with no row', (d) => writeFileSync(join(d, 'labels', 'combined_windows.json'), '{"grp/tiny.csv": [["2015-01-01 00:00:00", "2015-01-02 00:00:00"]]}'), /grp\/tiny\.csv: window .* holds no row/],
    ['profiles not JSON', (d) => writeFileSync(join(d, 'config', 'profiles.json'), 'x'), /config\/profiles\.json: not valid JSON/],
    ['profile without weights', (d) => writeFileSync(join(d, 'config', 'profiles.json'), '{"standard": {"CostMatrix": {"tpWeight": 1}}}'), /profiles\.json: standard: CostMatrix needs numeric/],
    ['bad CSV header', (d) => writeFileSync(join(d, 'data', 'grp', 'tiny.csv'), 'time,value\n2014-04-01 00:00:00,1\n'), /header must start with "timestamp,"/],
    ['bad CSV timestamp', (d) => writeFileSync(join(d, 'data', 'grp', 'tiny.csv'), 'timestamp,value\nnope,1\n2014-04-01 00:05:00,1\n'), /data\/grp\/tiny\.csv: line 2: bad timestamp "nope"/],
    ['one row', (d) => writeFileSync(join(d, 'data', 'grp', 'tiny.csv'), 'timestamp,value\n2014-04-01 00:00:00,1\n'), /data\/grp\/tiny\.csv: fewer than two rows/],
  ]
  for (const [label, breakIt, want] of cases) {
    const dir = corpusCopy(t)
    breakIt(dir)
    t.throws(() => loadNabCorpus(dir), want, label)
  }
  t.throws(() => loadNabCorpus(join(FIXTURE, 'nope')), /nope: no such directory/)
  try {
    loadNabCorpus(join(FIXTURE, 'nope'))
  } catch (err) {
    t.ok(err instanceof NabLayoutError && !err.message.includes('\n'), 'one line')
  }
})

t.test('results files: NAB\'s names and columns, labels from the windows', async (t) => {
  const c = loadNabCorpus(FIXTURE)
  const out = mkdtempSync(join(tmpdir(), 'nab-results-'))
  t.teardown(() => rmSync(out, { recursive: true, force: true }))
  const file = c.files[0]
  if (file === undefined) throw new Error('fixture has no file')
  const scores = Float64Array.from({ length: file.series.values.length }, (_, i) => i / 10)
  const written = writeNabResults(out, 'foresight', [{ ...file, scores }])
  t.same(written, [join(out, 'foresight', 'grp', 'foresight_tiny.csv')])
  t.same(readdirSync(join(out, 'foresight')), ['grp'])
  const lines = readFileSync(written[0] ?? '', 'utf8').trim().split('\n')
  t.equal(lines[0], 'timestamp,value,anomaly_score,label')
  t.equal(lines.length, 1 + 6)
  t.same(lines.slice(1).map((l) => l.split(',')[3]), ['0', '0', '1', '1', '1', '0'], 'label 1 exactly on the rows inside the window')
  t.equal(lines[1], '2014-04-01 00:00:00,1.5,0,0', 'NAB timestamp text, the value as read, the score')
  t.equal(lines[4]?.split(',').slice(0, 3).join(','), '2014-04-01 00:15:00,40,0.3')

  t.throws(() => writeNabResults(out, 'bad_name', [{ ...file, scores }]), /letters, digits and dashes only/)
  t.throws(() => writeNabResults(out, 'x', [{ ...file, scores: scores.subarray(1) }]), /5 scores for 6 rows/)
  const plain = join(out, 'plain-file')
  writeFileSync(plain, '')
  t.throws(() => writeNabResults(plain, 'x', [{ ...file, scores }]), /exists and is not a directory/)
  mkdirSync(join(out, 'again'))
  t.equal(writeNabResults(join(out, 'again'), 'foresight-bench', [{ ...file, scores }])[0], join(out, 'again', 'foresight-bench', 'grp', 'foresight-bench_tiny.csv'))
})
