import t from 'tap'
import { busiestDayStart, comparisonCharts } from './charts.js'
import type { StrategyRun } from './simulate.js'
import { lineChart } from './svg.js'

const HOUR = 3_600_000

t.test('line chart: one path per series, a nice y scale, escaped text, gaps break lines', async (t) => {
  const timesMs = Float64Array.from({ length: 8 }, (_, i) => i * HOUR)
  const svg = lineChart({
    title: 'a <b> & "c"',
    timesMs,
    series: [
      { name: 'demand', color: '#888888', values: Float64Array.from([1, 2, 3, NaN, 5, 6, 7, 8.4]), area: true },
      { name: 'x<y', color: '#1f77b4', values: Float64Array.from([2, 2, 4, NaN, 6, 6, 8, 8]) },
    ],
    bucketMs: HOUR,
    yLabel: 'req/s',
  })
  t.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/)
  t.match(svg, 'a &lt;b&gt; &amp; &quot;c&quot;')
  t.match(svg, '>x&lt;y<')
  t.equal(svg.match(/<path /g)?.length, 2)
  t.match(svg, />10</, 'the y axis tops out at the next nice number above 8.4')
  const line = /<path d="([^"]*)" fill="none" stroke="#1f77b4"/.exec(svg)?.[1] ?? ''
  t.equal(line.match(/M/g)?.length, 2, 'the NaN bucket splits the line in two')
  const area = /<path d="([^"]*)" fill="#888888"/.exec(svg)?.[1] ?? ''
  t.equal(area.match(/Z/g)?.length, 2, 'and the area in two closed shapes')
})

t.test('the zoomed day is the whole day with the most demand', async (t) => {
  const DAY = 24 * HOUR
  // Three days at hourly points; day 1 is the busiest; day 2 is partial and busier per point but incomplete.
  const times: number[] = []
  const demand: number[] = []
  for (let h = 0; h < 24 * 2 + 6; h++) {
    times.push(h * HOUR)
    demand.push(h < 24 ? 1 : h < 48 ? 2 : 50)
  }
  t.equal(busiestDayStart(Float64Array.from(times), Float64Array.from(demand), 0), DAY)
  t.equal(busiestDayStart(Float64Array.from(times), Float64Array.from(demand), -240), DAY + 4 * HOUR, 'days follow the given zone')
  const run = (name: string, k: number): StrategyRun => ({
    name,
    metrics: { underProvisionedMinutes: 0, unservedShare: 0, replicaMinutes: 0, overProvisioningRatio: 1, scalingEvents: 0, reversals: 0, evaluatedMinutes: 0 },
    timeline: { timesMs: Float64Array.from(times), demand: Float64Array.from(demand), readyCapacity: Float64Array.from(demand, (d) => d * k), replicas: Float64Array.from(demand) },
  })
  const charts = comparisonCharts([run('reactive', 1), run('foresight', 2), run('other', 3)], { title: 'T', loadUnit: 'req/s', strategies: ['reactive', 'foresight'] })
  t.equal(charts.dayStartMs, DAY)
  t.equal(charts.full.match(/<path /g)?.length, 3, 'demand and the two chosen strategies')
  t.notMatch(charts.day, '>other<')
})
