import t from 'tap'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { listNabFiles, loadNabProfiles, loadNabSeries, loadNabWindows, loadNasa, loadSeries, NASA_FILE, parseSeriesCsv, repoRoot, sharedDataDir, windowsToIndices } from './traces.js'

const fixtures = join(repoRoot(), 'test', 'fixtures', 'foresight-data')

t.test('the data dir must exist, and says where to get it when it does not', async (t) => {
  t.equal(sharedDataDir(fixtures), fixtures)
  const missing = join(fixtures, 'no-such-dir')
  t.throws(() => sharedDataDir(missing), { message: `unable to find the trace data: ${missing} does not exist (see README.md, "Data")` })
  t.ok(existsSync(join(repoRoot(), 'package.json')))
})

t.test('timestamps: one rule, ISO 8601 with or without a zone, or epoch seconds', async (t) => {
  const s = parseSeriesCsv('timestamp,value\n1995-07-01 00:00:00,1\n1995-07-01T00:01:00Z,2\n804556920,3\n', 'x', '-04:00')
  t.same([...s.timestampsMs], [Date.UTC(1995, 6, 1, 4, 0), Date.UTC(1995, 6, 1, 0, 1), 804556920000])
})

t.test('NASA loader masks the empty rows and the Hurricane Erin outage', async (t) => {
  const s = loadNasa(join(fixtures, NASA_FILE))
  t.equal(s.stepSeconds, 60)
  t.same([...s.valid], [1, 1, 0, 0, 0, 1, 0, 1])
  t.equal(s.values[1], 12)
  t.ok(Number.isNaN(s.values[2]))
  t.equal(s.values[7], 9)
  // Local time UTC-04:00.
  t.equal(s.timestampsMs[0], Date.UTC(1995, 7, 1, 18, 51))
  t.same([...loadSeries(NASA_FILE, fixtures).valid], [...s.valid], 'loadSeries routes the NASA path to the masking loader')
})

t.test('NAB series, windows and profiles', async (t) => {
  t.same(listNabFiles(fixtures), ['grp/tiny.csv'])
  const s = loadNabSeries('grp/tiny.csv', fixtures)
  t.equal(s.name, 'nab/data/grp/tiny.csv')
  t.equal(s.stepSeconds, 300, 'most common spacing despite one 10-minute jump')
  t.same([...s.values], [1.5, 2.5, 3.5, 40, 4.5, 5.5])
  t.equal(s.timestampsMs[0], Date.UTC(2014, 3, 1))
  const windows = loadNabWindows(fixtures).get('grp/tiny.csv') ?? []
  t.same(windowsToIndices(s.timestampsMs, windows), [{ leftIndex: 2, rightIndex: 4 }])
  t.same(loadNabProfiles(fixtures).get('standard'), { tpWeight: 1, fpWeight: 0.11, fnWeight: 1 })
})

t.test('bad input is rejected', async (t) => {
  t.throws(() => parseSeriesCsv('time,value\n1,2\n', 'x'))
  t.throws(() => parseSeriesCsv('timestamp,value\nnot-a-time,2\n', 'x'))
  const s = parseSeriesCsv('timestamp,value\n2014-01-01 00:00:00,abc\n2014-01-01 00:05:00,1\n', 'x')
  t.same([...s.valid], [0, 1])
})
