import t from 'tap'
import { busiestDayStart, comparisonCharts, frontierChart } from './charts.js'
import type { StrategyRun } from './simulate.js'
import { lineChart, xyChart } from './svg.js'

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

t.test('xy chart: one line and one marker per point per series, labelled, y from zero, x over the points', async (t) => {
  const svg = xyChart({
    title: 'frontier',
    series: [
      { name: 'reactive', color: '#d62728', points: [{ x: 100, y: 1000, label: '100%' }, { x: 120, y: 600, label: '90%' }] },
      { name: 'foresight', color: '#2ca02c', points: [{ x: 110, y: 300, label: '100%' }, { x: NaN, y: 1, label: 'skipped' }, { x: 130, y: 100, label: '80%' }] },
    ],
    xLabel: 'replica-minutes',
    yLabel: 'under-provisioned minutes',
  })
  t.equal(svg.match(/<circle /g)?.length, 4, 'a non-finite point is left out')
  t.equal(svg.match(/<path /g)?.length, 2)
  t.notMatch(svg, /skipped/)
  t.match(svg, />90%</)
  t.match(svg, />1000</, 'the y axis reaches the largest value')
  t.match(svg, />0</, 'and starts at zero')
  const xTicks = [...svg.matchAll(/<text x="[\d.]+" y="[\d.]+" text-anchor="middle" fill="#555">(\d+)<\/text>/g)].map((m) => Number(m[1]))
  t.equal(xTicks[0], 100, 'x starts at a round value at or below the cheapest point, not at zero')
  t.equal(xTicks.at(-1), 130, 'and ends at one at or above the dearest')
  const line = /<path d="([^"]*)" fill="none" stroke="#2ca02c"/.exec(svg)?.[1] ?? ''
  t.equal(line.match(/[ML]/g)?.join(''), 'ML', 'foresight joins its two finite points')
})

t.test('frontier chart: both curves on one chart, each point labelled by its target', async (t) => {
  const p = (name: string, utilization: number, replicaMinutes: number, underProvisionedMinutes: number) => ({ name, utilization, replicaMinutes, underProvisionedMinutes, scalingEvents: 0 })
  const svg = frontierChart({ reactive: [p('reactive', 1, 100, 900), p('reactive@80%', 0.8, 130, 400)], foresight: [p('foresight', 1, 120, 200)], atForesight: [], atReactive: [] }, 'cost against under-provisioning')
  t.match(svg, /reactive HPA \(target utilisation\)/)
  t.match(svg, /Foresight \(spec\.targetUtilization\)/)
  t.equal(svg.match(/<circle /g)?.length, 3)
  t.match(svg, />80%</)
})
