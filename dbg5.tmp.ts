import { scenarios } from './src/sim/remediation/scenarios.js'
import { runScenario } from './src/sim/remediation/run.js'
const names = process.argv.slice(2)
for (const s of scenarios('tuning').filter((x) => names.some(n => x.name.startsWith(n)))) {
  const r = await runScenario(s, { kind: 'foresight', name: 'f' })
  const by = new Map<string, number>()
  for (const a of r.actions) { const k = a.truth + ' ' + (a.why ?? '').replace(/[\d.]+/g, '#'); by.set(k, (by.get(k) ?? 0) + 1) }
  console.log(s.name, s.ratePerPod, r.podDays.toFixed(0), JSON.stringify([...by]))
  console.log(r.actions.filter(a => a.truth !== 'sick').slice(0, 8).map(a => `${(a.tMs/1000).toFixed(0)} ${a.pod} ${a.truth} ${a.why}`).join('\n'))
}
