import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { startPrometheus } from '../helpers/prometheus.js'
import { runCli, type CliResult } from '../helpers/cli.js'
import { backtestPolicyFixture } from '../helpers/policies.js'

// `foresight backtest` over more days than the store holds, against a real Prometheus backfilled with 8 days of the
// NASA trace. A file of its own: replaying 8 days with the knob's sweep takes most of a test file's time budget.

const prom = await startPrometheus()
t.teardown(() => prom.stop())
const dir = mkdtempSync(join(tmpdir(), 'foresight-backtest-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const policyFile = backtestPolicyFixture('web.yaml')

const run = (args: string[]): Promise<CliResult> => runCli(['backtest', ...args])

t.test('20 days asked, 8 kept: the days before the first sample are not scored, and the report says from when it is', async (t) => {
  const short = await run(['--prometheus', prom.url, '--policy', policyFile, '--since', '20d', '--chart', join(dir, 'y.svg')])
  t.equal(short.code, 0, short.stderr)
  t.match(short.stdout, /^# warning: \d+ of 28800 samples in the period are missing \(the first sample in it is from \d{4}-\d\d-\d\dT[\d:.]+Z\): those minutes are not scored$/m)
  t.notMatch(short.stdout, /could not be read/, 'no series before the first sample is missing history, not a failed read')
})
