import t from 'tap'
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MIN_TRACE_ROWS, minTraceRows, parseUserTrace, readUserTrace, TraceFileError } from './user-trace.js'

const START = 1_700_000_040 // a whole minute, in epoch seconds
/** `n` per-minute rows from START, epoch seconds. */
const epochRows = (n: number, value = (i: number): string => String(10 + (i % 7))): string[] => Array.from({ length: n }, (_, i) => `${START + 60 * i},${value(i)}`)
const iso = (s: number): string => new Date(s * 1000).toISOString()

t.test('accepted traces', async (t) => {
  const plain = parseUserTrace(epochRows(MIN_TRACE_ROWS).join('\n'), 'a.csv')
  t.equal(plain.values.length, MIN_TRACE_ROWS)
  t.equal(plain.timestampsMs[0], START * 1000)
  t.equal(plain.values[1], 11)
  t.equal(plain.stepSeconds, 60)

  const header = parseUserTrace(['timestamp,value', ...epochRows(MIN_TRACE_ROWS)].join('\r\n') + '\r\n', 'b.csv')
  t.equal(header.values.length, MIN_TRACE_ROWS, 'a header line and CRLF line ends are accepted')

  const isoRows = Array.from({ length: MIN_TRACE_ROWS }, (_, i) => `${iso(START + 60 * i)},${i}`)
  const withBom = parseUserTrace('\uFEFFtime,requests\n' + isoRows.join('\n'), 'c.csv')
  t.equal(withBom.timestampsMs[5], (START + 300) * 1000, 'ISO 8601 with a zone, after a BOM and another header')

  const noZone = parseUserTrace(Array.from({ length: MIN_TRACE_ROWS }, (_, i) => `${iso(START + 60 * i).replace('Z', '').replace('T', ' ')},1`).join('\n'), 'd.csv')
  t.equal(noZone.timestampsMs[0], START * 1000, 'ISO 8601 without a zone is UTC')

  const rows = epochRows(MIN_TRACE_ROWS + 10)
  rows.splice(100, 3)
  rows[50] = `${START + 60 * 50},`
  const gaps = parseUserTrace(rows.join('\n'), 'e.csv')
  t.equal(gaps.values.length, MIN_TRACE_ROWS + 10, 'missing minutes become rows')
  t.same([gaps.valid[50], gaps.valid[100], gaps.valid[102], gaps.valid[103]], [0, 0, 0, 1])
  t.ok(Number.isNaN(gaps.values[101]))
})

t.test('hostile inputs: one precise line each', async (t) => {
  const many = epochRows(MIN_TRACE_ROWS)
  const withRow = (i: number, row: string): string => many.map((r, k) => (k === i ? row : r)).join('\n')
  const cases: Array<[string, string, RegExp]> = [
    ['empty file', '', /x\.csv: empty: no data rows/],
    ['header only', 'timestamp,value\n\n', /empty: no data rows/],
    ['bad timestamp', withRow(3, 'yesterday1,5'), /row 4: unparsable timestamp "yesterday1"/],
    ['epoch milliseconds', withRow(0, `${START * 1000},5`), /row 1: unparsable timestamp/],
    ['bad value', withRow(7, `${START + 420},abc`), /row 8: unparsable value "abc"/],
    ['infinite value', withRow(7, `${START + 420},Infinity`), /row 8: unparsable value/],
    ['negative value', withRow(7, `${START + 420},-1`), /row 8: negative value -1/],
    ['three columns', withRow(2, `${START + 120},5,6`), /row 3: expected 2 columns/],
    ['one column', withRow(2, `${START + 120}`), /row 3: expected 2 columns/],
    ['repeated timestamp', withRow(5, `${START + 240},5`), /row 6: timestamp .* is not after the previous row's/],
    ['backwards', withRow(5, `${START},5`), /row 6: .*timestamps must increase/],
    ['30 s step', withRow(5, `${START + 270},5`), /row 6: 30 s after the previous row; the trace must be per minute/],
    ['5 min step throughout', Array.from({ length: MIN_TRACE_ROWS }, (_, i) => `${START + 90 * i},1`).join('\n'), /row 2: 90 s after/],
    ['too short', epochRows(100).join('\n'), /too short: 100 minutes; at least 2880/],
    ['mostly empty', [...epochRows(10), `${START + 60 * MIN_TRACE_ROWS},1`].join('\n'), /too short: 11 minutes with a value/],
    ['absurd span', [`${START},1`, `${START + 60 * 1440 * 400},1`].join('\n'), /more than the 527040 \(a year\)/],
    ['binary junk', withRow(9, '\u0000\u00011\u0002,\u0003'), /row 10: unparsable timestamp/],
    ['only a header-like line', '\u0000\u0001,\u0002', /empty: no data rows/],
  ]
  for (const [label, text, want] of cases) {
    t.throws(() => parseUserTrace(text, 'x.csv'), want, label)
    try {
      parseUserTrace(text, 'x.csv')
    } catch (err) {
      t.ok(err instanceof TraceFileError && !err.message.includes('\n'), `${label}: one line`)
    }
  }
})

t.test('regular steps other than a minute', async (t) => {
  const rows5 = minTraceRows(300)
  t.equal(rows5, 576, 'two days of 5-minute rows')
  const every5 = (n: number, at = (i: number): number => START + 300 * i): string[] => Array.from({ length: n }, (_, i) => `${at(i)},${i}`)
  const five = parseUserTrace(every5(rows5 + 3).join('\n'), 'five.csv')
  t.equal(five.stepSeconds, 300, 'the step is the most common spacing')
  t.equal(five.values.length, rows5 + 3, 'one row per 5 minutes, nothing resampled')
  t.equal(five.timestampsMs[2], (START + 600) * 1000)
  t.equal(five.values[2], 2)

  const gappy = every5(rows5 + 10)
  gappy.splice(40, 2)
  const withGap = parseUserTrace(gappy.join('\n'), 'gap.csv')
  t.equal(withGap.values.length, rows5 + 10, 'a missing 10 minutes at a 5-minute step are two invalid rows')
  t.same([withGap.valid[39], withGap.valid[40], withGap.valid[41], withGap.valid[42]], [1, 0, 0, 1])

  const tenMin = parseUserTrace(Array.from({ length: minTraceRows(600) }, (_, i) => `${iso(START + 600 * i)},1`).join('\n'), 'ten.csv')
  t.equal(tenMin.stepSeconds, 600)

  const cases: Array<[string, string, RegExp]> = [
    ['a 7-minute spacing in a 5-minute trace', every5(rows5, (i) => START + 300 * i + (i >= 9 ? 120 : 0)).join('\n'), /^irr\.csv: row 10: 420 s after the previous row; the trace must be every 5 minutes \(steps of 300 s, its most common spacing; gaps a whole number of steps\)$/],
    ['a 7-minute step throughout', Array.from({ length: 1000 }, (_, i) => `${START + 420 * i},1`).join('\n'), /^irr\.csv: row 2: 420 s after the previous row, the trace's most common spacing; a trace's step must be one of 60, 120, 180, 240, 300, 360, 480, 540, 600 s/],
    ['hourly', Array.from({ length: 100 }, (_, i) => `${START + 3600 * i},1`).join('\n'), /row 2: 3600 s after the previous row, the trace's most common spacing/],
    ['too short at 5 minutes', every5(100).join('\n'), /^irr\.csv: too short: 100 rows of 300 s; at least 576 \(two days\) are needed$/],
  ]
  for (const [label, text, want] of cases) t.throws(() => parseUserTrace(text, 'irr.csv'), want, label)
})

t.test('file errors', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'user-trace-'))
  t.throws(() => readUserTrace(join(dir, 'nope.csv')), /nope\.csv: no such file or not readable \(ENOENT\)/)
  mkdirSync(join(dir, 'sub'))
  t.throws(() => readUserTrace(join(dir, 'sub')), /sub: not a regular file/)
  writeFileSync(join(dir, 'empty.csv'), '')
  t.throws(() => readUserTrace(join(dir, 'empty.csv')), /empty\.csv: empty/)
  writeFileSync(join(dir, 'ok.csv'), epochRows(MIN_TRACE_ROWS).join('\n'))
  t.equal(readUserTrace(join(dir, 'ok.csv')).values.length, MIN_TRACE_ROWS)
})
