import t from 'tap'
import { backtestCsv, backtestJson, csvField } from './backtest-output.js'
import type { StrategyRun } from '../sim/simulate.js'

const metrics = { underProvisionedMinutes: 12.5, unservedShare: 0.01, replicaMinutes: 900, overProvisioningRatio: 1.4, scalingEvents: 7, reversals: 1, evaluatedMinutes: 1440 }
const run = (name: string, m = metrics): StrategyRun => ({ name, metrics: m, timeline: { timesMs: new Float64Array(0), demand: new Float64Array(0), readyCapacity: new Float64Array(0), replicas: new Float64Array(0) } })

t.test('csv: a header and one row per strategy; fields quoted only when needed', async (t) => {
  const out = backtestCsv([run('reactive'), run('reactive@80%', { ...metrics, scalingEvents: 9 })])
  t.equal(out, 'strategy,underProvisionedMinutes,unservedShare,replicaMinutes,overProvisioningRatio,scalingEvents,reversals,evaluatedMinutes\n'
    + 'reactive,12.5,0.01,900,1.4,7,1,1440\nreactive@80%,12.5,0.01,900,1.4,9,1,1440\n')
  t.equal(csvField('a,"b"\nc'), '"a,""b""\nc"')
  t.equal(csvField(undefined), '')
})

t.test('json: the metrics per strategy and the period as times, no timelines', async (t) => {
  const parsed = JSON.parse(backtestJson({ policy: 'default/web', period: { startMs: 0, endMs: 86_400_000, stepSeconds: 60 }, runs: [run('foresight')], warnings: ['w'], charts: ['a.svg'] })) as Record<string, unknown>
  t.same(parsed, { policy: 'default/web', period: { start: '1970-01-01T00:00:00.000Z', end: '1970-01-02T00:00:00.000Z', stepSeconds: 60 }, strategies: [{ name: 'foresight', ...metrics }], warnings: ['w'], charts: ['a.svg'] })
})

t.test('json: the frontier as data beside the strategies, with the worst ratio between reactive at 90 and 70 %', async (t) => {
  const point = (name: string, utilization: number, replicaMinutes: number, underProvisionedMinutes: number) => ({ name, utilization, replicaMinutes, underProvisionedMinutes, scalingEvents: 3 })
  const [r90, r80, r70] = [point('reactive@90%', 0.9, 100, 400), point('reactive@80%', 0.8, 120, 200), point('reactive@70%', 0.7, 140, 100)]
  const [f100, f80] = [point('foresight', 1, 100, 100), point('foresight@80%', 0.8, 140, 20)]
  const reactive = [r90, r80, r70]
  const frontier = {
    reactive, foresight: [f100, f80],
    atForesight: [{ ...f100, otherUnderProvisionedMinutes: 400, ratio: 0.25 }, { ...f80, otherUnderProvisionedMinutes: 100, ratio: 0.2 }],
    atReactive: [{ ...r90, otherUnderProvisionedMinutes: 100, ratio: 0.25 }, { ...r80, otherUnderProvisionedMinutes: 60, ratio: 0.3 }, { ...r70, otherUnderProvisionedMinutes: 20, ratio: 0.2 }],
  }
  const parsed = JSON.parse(backtestJson({ policy: 'default/web', period: { startMs: 0, endMs: 1, stepSeconds: 60 }, runs: [run('foresight')], warnings: [], charts: [], frontier })) as { frontier: typeof frontier & { worstRatioReactive90To70: { ratio: number; covered: boolean } } }
  t.same(parsed.frontier.reactive, reactive)
  t.same(parsed.frontier.atForesight.map((p) => p.ratio), [0.25, 0.2])
  t.same(parsed.frontier.worstRatioReactive90To70, { ratio: 0.3, covered: true })
})
