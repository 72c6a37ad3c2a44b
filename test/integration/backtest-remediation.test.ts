import t from 'tap'
import { remediationSchema } from '../../src/policy/schema.js'
import { podRatio, startPrometheus, STEP_MS } from '../helpers/prometheus.js'
import { backtestPolicyFixture } from '../helpers/policies.js'
import { runCli, type CliResult } from '../helpers/cli.js'

// `foresight backtest --remediation` as a user runs it, against a real Prometheus backfilled (promtool) with six
// hours of per-pod error ratios: web-3 fails on its own for an hour (minutes 120-180), then web-1 and web-2 fail
// together for half an hour (minutes 240-270: half the pods, a shared cause).

const POD_HOURS = 6
const ratio = (pod: string) => (i: number): number => {
  if (pod === 'web-3' && i >= 120 && i < 180) return 0.3
  if ((pod === 'web-1' || pod === 'web-2') && i >= 240 && i < 270) return 0.4
  return podRatio(0.01, i)
}
const prom = await startPrometheus({
  days: 1,
  podHours: POD_HOURS,
  services: [{ namespace: 'default', service: 'web', scale: 1, days: 1 }],
  pods: ['web-0', 'web-1', 'web-2', 'web-3'].map((pod) => ({ pod, errorRatio: 0.01, ratioAt: ratio(pod) })),
})
t.teardown(() => prom.stop())
const podStartMs = prom.endMs - (POD_HOURS * 60 - 1) * STEP_MS
const policyFile = backtestPolicyFixture('web-pod-signals.yaml')

const run = (args: string[]): Promise<CliResult> => runCli(['backtest', '--remediation', ...args])

t.test('lists the restarts DryRun would have made: the pod failing alone, never the pods failing together', async (t) => {
  const r = await run(['--prometheus', prom.url, '--policy', policyFile, '--since', '6h'])
  t.equal(r.code, 0, r.stderr)
  t.match(r.stdout, /^# remediation backtest of default\/web: .* 4 pods seen/m)
  const rows = [...r.stdout.matchAll(/^(\d{4}-\d\d-\d\dT[\d:.]+Z)\s+(\S+)\s+(\S+)\s+([\d.]+)\s+(.+)$/gm)].map((m) => ({ timeMs: Date.parse(m[1] ?? ''), pod: m[2], cls: m[3], score: Number(m[4]), why: m[5] }))
  t.ok(rows.length >= 1, 'at least one restart')
  t.same([...new Set(rows.map((x) => x.pod))], ['web-3'], 'only the pod failing on its own')
  const faultMs = podStartMs + 120 * STEP_MS
  const first = rows[0]
  // sustainedSeconds (the default) after the first score above the threshold, which the adapter sees within a minute.
  const sustainedMs = remediationSchema.parse({}).sustainedSeconds * 1000
  t.ok(first !== undefined && first.timeMs >= faultMs + sustainedMs && first.timeMs <= faultMs + sustainedMs + 120_000, `first restart ${first !== undefined ? (first.timeMs - faultMs) / 1000 : NaN} s after the fault started`)
  t.ok(rows.every((x) => x.timeMs < podStartMs + 185 * STEP_MS), 'none after the fault ended')
  t.ok(rows.every((x, i) => i === 0 || x.timeMs - (rows[i - 1]?.timeMs ?? 0) >= 900_000), 'podCooldownSeconds (900) between restarts of the pod')
  t.ok(rows.length <= 3, 'maxRestartsPerHour 3')
  t.ok(rows.every((x) => x.cls === 'error' && x.score >= 0.8 && /error outlier \(score [\d.]+\) for \d+s/.test(x.why ?? '')), 'why: class, score, how long')
  t.match(r.stdout, /outliers held back \(pod-rounds\): .*MostPodsFailing \d+/, 'the shared failure is held back, and said so')

  const json = await run(['--prometheus', prom.url, '--policy', policyFile, '--since', '6h', '-o', 'json'])
  t.equal(json.code, 0, json.stderr)
  const parsed = JSON.parse(json.stdout) as { restarts: Array<{ pod: string; timeMs: number }>; heldBack: Record<string, number>; pods: number }
  t.equal(parsed.pods, 4)
  t.same(parsed.restarts.map((x) => x.timeMs), rows.map((x) => x.timeMs), 'the same verdicts as JSON')
  t.ok((parsed.heldBack.MostPodsFailing ?? 0) > 0)
})

t.test('a policy without podSignals has nothing to replay', async (t) => {
  const bare = backtestPolicyFixture('web.yaml')
  const r = await run(['--prometheus', prom.url, '--policy', bare, '--since', '1h'])
  t.equal(r.code, 1)
  t.match(r.stderr, /has no spec\.podSignals queries/)
  t.notMatch(r.stderr, /\n\s+at /, 'no stack trace')
})

t.test('a policy with podSignals.requestsQuery: the counts are read from Prometheus and the verdicts hold', async (t) => {
  const withRequests = backtestPolicyFixture('web-pod-requests.yaml')
  const r = await run(['--prometheus', prom.url, '--policy', withRequests, '--since', '6h', '-o', 'json'])
  t.equal(r.code, 0, r.stderr)
  const parsed = JSON.parse(r.stdout) as { restarts: Array<{ pod: string; timeMs: number }>; heldBack: Record<string, number>; pods: number }
  t.equal(parsed.pods, 4)
  t.same([...new Set(parsed.restarts.map((x) => x.pod))], ['web-3'], 'only the pod failing on its own')
  t.ok((parsed.heldBack.MostPodsFailing ?? 0) > 0, 'the shared failure is still held back')
})
