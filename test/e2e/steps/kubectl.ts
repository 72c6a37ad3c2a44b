import { spawn } from 'node:child_process'
import { mkdtempSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import type { Test } from 'tap'
import type { ServedExplanation } from '../../../src/explain/served.js'
import { runCli } from '../../helpers/cli.js'
import type { Suite } from '../e2e.test.js'
import { REPO } from '../lib/cluster.js'
import { apply, getJson, getRaw, kubectl, KUBECONFIG, waitFor } from '../lib/kube.js'
import { metricPath, SCALE_NS, type MetricItem } from './adapter.js'

// Step 2b: what kubectl users see. The policy's printer columns, an Event when a policy's data source fails,
// and `foresight explain` (also as `kubectl foresight`) reading the adapter through kube-apiserver's aggregator.

const EVENTS_NS = 'e2e-events'
// Prometheus accepts the query and fails every evaluation: an invalid regular expression in label_replace.
const FAILING_QUERY = 'label_replace(sum(rate(http_requests_total{namespace="default",service="web"}[2m])), "x", "$1", "y", "(")'

interface PolicyEvent {
  reason?: string
  note?: string
  type?: string
  reportingController?: string
  regarding?: { kind?: string; name?: string; uid?: string }
}

async function policyEvents(ns: string, name: string): Promise<PolicyEvent[]> {
  const list = await getJson<{ items: PolicyEvent[] }>(['get', 'events.events.k8s.io', '-n', ns])
  return (list?.items ?? []).filter((e) => e.regarding?.kind === 'ForesightPolicy' && e.regarding.name === name)
}

function kubectlPlugin(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const bin = mkdtempSync(join(tmpdir(), 'foresight-e2e-plugin-'))
  symlinkSync(join(REPO, 'hack', 'kubectl-foresight'), join(bin, 'kubectl-foresight'))
  const env = { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}`, KUBECONFIG }
  const child = spawn('/usr/bin/kubectl', args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000)
  return new Promise((done) => child.on('exit', (code) => { clearTimeout(timer); done({ code, stdout, stderr }) }))
}

export async function kubectlSuite(t: Test, suite: Suite): Promise<void> {
  const skip = suite.adapter === undefined ? 'no adapter from the previous step' : false

  await t.test('kubectl get fpol: Desired, Reason, Ready and Mode columns from the status the adapter writes', { skip }, async (t) => {
    const row = await waitFor('the status of web to carry a reason', 60_000, async () => {
      const r = await kubectl(['get', 'fpol', 'web', '-n', SCALE_NS])
      const [header, line] = r.stdout.trim().split('\n')
      const cols = (header ?? '').split(/\s{2,}/)
      const cells = (line ?? '').split(/\s{2,}/)
      const byName = Object.fromEntries(cols.map((c, i) => [c, cells[i] ?? '']))
      return byName.REASON !== undefined && byName.REASON !== '<none>' && byName.REASON !== '' ? { cols, byName } : undefined
    })
    t.same(row.cols, ['NAME', 'TARGET', 'DESIRED', 'REASON', 'READY', 'MODE', 'AGE'])
    t.comment((await kubectl(['get', 'fpol', '-A'])).stdout)
    const status = (await getJson<{ status: { desiredReplicas?: number; reason?: string } }>(['get', 'fpol', 'web', '-n', SCALE_NS]))?.status
    t.match(row.byName, { NAME: 'web', TARGET: 'web', READY: 'True', MODE: 'DryRun' })
    t.match(row.byName.REASON, /^(Predicted|ColdStart)$/, `served ${row.byName.REASON}`)
    t.equal(row.byName.DESIRED, String(status?.desiredReplicas), 'Desired is status.desiredReplicas')
  })

  await t.test('a policy whose data source fails gets one Warning Event, rate limited', { skip }, async (t) => {
    await apply(`apiVersion: v1
kind: Namespace
metadata: {name: ${EVENTS_NS}, labels: {foresight.dev/e2e: "true"}}
---
apiVersion: foresight.dev/v1alpha1
kind: ForesightPolicy
metadata: {name: broken, namespace: ${EVENTS_NS}}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: broken}
  load: {query: '${FAILING_QUERY}', capacityPerReplica: 1}
  minReplicas: 1
  maxReplicas: 4
`)
    const uid = (await getJson<{ metadata: { uid: string } }>(['get', 'fpol', 'broken', '-n', EVENTS_NS]))?.metadata.uid
    const first = await waitFor('an Event on ForesightPolicy broken', 60_000, async () => (await policyEvents(EVENTS_NS, 'broken'))[0])
    t.match(first, { type: 'Warning', reason: /^(NoData|Fallback)$/, reportingController: 'foresight.dev/adapter', regarding: { uid } })
    t.match(first.note, /^serving nothing|^serving \d+ replicas/, `note: ${first.note}`)
    const describe = await kubectl(['describe', 'fpol', 'broken', '-n', EVENTS_NS])
    t.match(describe.stdout, new RegExp(`Warning\\s+${first.reason ?? ''}`), 'kubectl describe lists it')
    t.comment(describe.stdout.slice(describe.stdout.indexOf('Events:')))
    // Five refreshes (every 2 s) with the same reason: no more events.
    await new Promise((r) => setTimeout(r, 10_000))
    const all = await policyEvents(EVENTS_NS, 'broken')
    t.equal(all.length, 1, `one Event while the reason stays ${first.reason}: ${all.map((e) => e.reason).join(', ')}`)
  })

  await t.test('foresight explain reads the served values through the aggregated API, with the policy status', { skip }, async (t) => {
    // The engine refreshes every 2 s: compare within one refresh, retrying on a refresh in between.
    let same = false
    let last = ''
    let e: ServedExplanation | undefined
    for (let i = 0; i < 5 && !same; i++) {
      const r = await runCli(['explain', 'web', '-n', SCALE_NS, '--kubeconfig', KUBECONFIG, '-o', 'json'])
      t.equal(r.code, 0, r.stderr)
      e = JSON.parse(r.stdout) as ServedExplanation
      const raw = await getRaw(metricPath(SCALE_NS, 'foresight_desired_replicas', 'web'))
      const item = (JSON.parse(raw.stdout) as { items: MetricItem[] }).items[0]
      last = `explain ${e.served.desiredReplicas?.quantity} (${e.served.desiredReplicas?.reason}) vs kubectl get --raw ${item?.value} (${item?.metricLabels['foresight.dev/reason']})`
      same = e.served.desiredReplicas?.quantity === item?.value && e.served.desiredReplicas?.reason === item?.metricLabels['foresight.dev/reason']
    }
    t.ok(same, last)
    t.equal(e?.served.forecast.length, 3, 'three forecast quantiles')
    t.match(e?.policy, { target: 'Deployment/web', minReplicas: 2, maxReplicas: 6, status: { reason: /^(Predicted|ColdStart)$/, conditions: [{ type: 'Ready', status: 'True' }] } })

    const broken = await runCli(['explain', 'broken', '-n', EVENTS_NS, '--kubeconfig', KUBECONFIG])
    t.equal(broken.code, 1, 'nothing served: exit 1')
    t.match(broken.stdout, /^served\s+nothing/m)
    t.match(broken.stdout, /^not served\s+foresight_desired_replicas: .*\(HTTP 503\)$/m)
    t.match(broken.stdout, /^ {2}Ready\s+False \((NoData|Fallback)\)/m, 'the Ready condition says why')
    const missing = await runCli(['explain', 'nope', '-n', EVENTS_NS, '--kubeconfig', KUBECONFIG])
    t.equal(missing.code, 1)
    t.match(missing.stderr, /^no such policy: there is no ForesightPolicy "nope" in namespace "e2e-events"$/m)
  })

  await t.test('kubectl foresight explain web -n <ns>: the plugin with the kubeconfig kubectl uses', { skip }, async (t) => {
    const r = await kubectlPlugin(['foresight', 'explain', 'web', '-n', SCALE_NS])
    t.equal(r.code, 0, r.stderr)
    t.match(r.stdout, new RegExp(`^policy\\s+${SCALE_NS}/web$`, 'm'))
    t.match(r.stdout, /^served\s+\d+ replicas \((Predicted|ColdStart)\)/m)
    t.match(r.stdout, /^ {2}target\s+Deployment\/web, replicas 2\.\.6/m)
    t.comment(r.stdout)
  })
}
