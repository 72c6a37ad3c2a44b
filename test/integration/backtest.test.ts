import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { freePort, startPrometheus } from '../helpers/prometheus.js'
import { runCli, type CliResult } from '../helpers/cli.js'
import { backtestPolicyFixture } from '../helpers/policies.js'

// `foresight backtest` as a user runs it, against a real Prometheus backfilled with 8 days of the NASA trace.

const prom = await startPrometheus()
t.teardown(() => prom.stop())
const dir = mkdtempSync(join(tmpdir(), 'foresight-backtest-'))
const policyFile = backtestPolicyFixture('web.yaml')

const run = (args: string[]): Promise<CliResult> => runCli(['backtest', ...args])

t.test('compares the strategies on the real history and writes the charts', async (t) => {
  const chart = join(dir, 'web.svg')
  const r = await run(['--prometheus', prom.url, '--policy', policyFile, '--since', '1d', '--chart', chart])
  t.equal(r.code, 0, r.stderr)
  for (const strategy of ['reactive', 'reactive@90%', 'reactive@80%', 'reactive@70%', 'holt-winters', 'fft-periodic', 'moving-average', 'ses', 'holt-damped', 'foresight']) t.match(r.stdout, new RegExp(`^${strategy}\\s+[\\d.]+`, 'm'), strategy)
  t.match(r.stdout, /under-prov/)
  t.match(r.stderr, /fetch\s+\[#+\]\s+100%/, 'progress while it reads, as a percentage')
  t.ok(existsSync(chart) && readFileSync(chart, 'utf8').startsWith('<svg'), 'chart written')
  t.ok(existsSync(join(dir, 'web-day.svg')), 'the busiest day beside it')
  t.ok(existsSync(join(dir, 'web-frontier.svg')) && readFileSync(join(dir, 'web-frontier.svg'), 'utf8').includes('Foresight (spec.targetUtilization)'), 'and the frontier chart')
  t.match(r.stdout, /^reactive\s+50%\s+\d+/m, 'the reactive sweep down to 50 %')
  t.match(r.stdout, /^foresight\s+70%\s+\d+/m, 'the foresight sweep')
  t.match(r.stdout, /^frontier: /m, 'and its verdict between reactive at 90 and 70 %')
})

t.test('clear errors', async (t) => {
  const closed = `http://127.0.0.1:${await freePort()}`
  const down = await run(['--prometheus', closed, '--policy', policyFile, '--since', '1d', '--chart', join(dir, 'x.svg')])
  t.equal(down.code, 1)
  t.match(down.stderr, /unable to (read the load history|query Prometheus)/)
  t.match(down.stderr, /ECONNREFUSED|connect/, 'with the cause, not only that it failed')
  t.notMatch(down.stderr, /\n\s+at /, 'no stack trace')

  const notUrl = await run(['--prometheus', 'not-a-url', '--policy', policyFile])
  t.equal(notUrl.code, 1)
  t.match(notUrl.stderr, /^--prometheus: not an http\(s\) URL \(does not parse\)$/m)
  const secret = await run(['--prometheus', 'user:s3cret@prom:9090', '--policy', policyFile])
  t.equal(secret.code, 1)
  t.match(secret.stderr, /^--prometheus: not an http\(s\) URL \(scheme user:\)$/m)
  t.notMatch(secret.stderr, /s3cret/, 'the password is not echoed')

  const bad = join(dir, 'bad.yaml')
  writeFileSync(bad, 'apiVersion: foresight.dev/v1alpha1\nkind: ForesightPolicy\nmetadata: { name: web }\nspec: { maxReplicas: 0 }\n')
  const invalid = await run(['--prometheus', prom.url, '--policy', bad])
  t.equal(invalid.code, 1)
  t.match(invalid.stderr, /^invalid policy .*bad\.yaml: default\/web: /m)

  const since = await run(['--prometheus', prom.url, '--policy', policyFile, '--since', 'week'])
  t.equal(since.code, 1)
  t.match(since.stderr, /invalid --since "week"/)
})
