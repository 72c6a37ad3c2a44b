import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Test } from 'tap'
import { parseAllDocuments, stringify } from 'yaml'
import type { Suite } from '../e2e.test.js'
import { freePort } from '../../helpers/prometheus.js'
import { REPO } from '../lib/cluster.js'
import { apply, getJson, kubectl, KUBECONFIG, waitFor } from '../lib/kube.js'
import { servingCert } from '../lib/pki.js'
import { startForesight } from '../lib/procs.js'
import { LOAD_QUERY, SCALE_NS } from './adapter.js'

// Step 4: `foresight webhook` on 127.0.0.1, registered with the shipped webhook configurations (rules, failure
// policies, selectors from deploy/base/webhook.yaml), only clientConfig swapped for `url:` + caBundle.

interface Hook { name: string; clientConfig: { url?: string; caBundle?: string; service?: { path?: string } } }
interface HookConfig { kind: string; metadata: { name: string }; webhooks?: Hook[] }

export const WEBHOOK_CONFIG_NAME = 'foresight-e2e'

function shippedConfigs(port: number, caBase64: string): string {
  const docs = parseAllDocuments(readFileSync(join(REPO, 'deploy', 'base', 'webhook.yaml'), 'utf8')).map((d) => d.toJS() as HookConfig)
  const configs = docs.filter((d) => d.kind === 'ValidatingWebhookConfiguration' || d.kind === 'MutatingWebhookConfiguration')
  if (configs.length !== 2) throw new Error(`expected both webhook configurations in deploy/base/webhook.yaml, found ${configs.length}`)
  for (const c of configs) {
    c.metadata = { name: WEBHOOK_CONFIG_NAME }
    for (const h of c.webhooks ?? []) h.clientConfig = { url: `https://127.0.0.1:${port}${h.clientConfig.service?.path ?? ''}`, caBundle: caBase64 }
  }
  return configs.map((c) => stringify(c)).join('---\n')
}

// Two invalid policies: the schema stage (min > max) stops before the PromQL stage, so one defect each.
const badPolicy = (name: string, query: string, min: number, max: number): string => `apiVersion: foresight.dev/v1alpha1
kind: ForesightPolicy
metadata: {name: ${name}, namespace: ${SCALE_NS}}
spec:
  scaleTargetRef: {name: other}
  load: {query: '${query}', capacityPerReplica: 1}
  minReplicas: ${min}
  maxReplicas: ${max}
`
const badQuery = badPolicy('bad-query', 'sum(rate(http_requests_total[2m]', 1, 2)
const minOverMax = badPolicy('min-over-max', 'sum(rate(http_requests_total[2m]))', 5, 2)

const WRITER = 'e2e-policy-writer'
const writerRbac = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: ${WRITER}, namespace: ${SCALE_NS}}
rules:
- {apiGroups: [foresight.dev], resources: [foresightpolicies], verbs: [create]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ${WRITER}, namespace: ${SCALE_NS}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: ${WRITER}}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: ${WRITER}}]
`
const writerEvictRbac = `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: ${WRITER}-evict, namespace: ${SCALE_NS}}
rules:
- {apiGroups: [""], resources: [pods/eviction], verbs: [create]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: ${WRITER}-evict, namespace: ${SCALE_NS}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: ${WRITER}-evict}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: ${WRITER}}]
`
const enforcePolicy = `apiVersion: foresight.dev/v1alpha1
kind: ForesightPolicy
metadata: {name: enforce-by-writer, namespace: ${SCALE_NS}}
spec:
  scaleTargetRef: {name: enforce-target}
  load: {query: '${LOAD_QUERY}', capacityPerReplica: 1}
  maxReplicas: 3
  remediation: {mode: Enforce}
`

const valueHpa = `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web-value, namespace: ${SCALE_NS}}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web-value}
  minReplicas: 1
  maxReplicas: 3
  metrics:
  - type: External
    external:
      metric: {name: foresight_desired_replicas, selector: {matchLabels: {foresight.dev/policy: web}}}
      target: {type: Value, value: "1"}
`

export async function webhookSuite(t: Test, suite: Suite): Promise<void> {
  await t.test('webhook: invalid policies refused with its message, a Value HPA admitted with a warning', async (t) => {
    const port = await freePort()
    const cert = servingCert(suite.dir, 'webhook', ['foresight-webhook.foresight.svc'])
    const webhook = startForesight('webhook', 'webhook', [`listen.port=${port}`, `tls.certFile=${cert.certFile}`, `tls.keyFile=${cert.keyFile}`, `kubeconfig=${KUBECONFIG}`, 'logLevel=info'], suite.dir)
    await webhook.waitForLog(/webhook started/, 60_000)
    await apply(shippedConfigs(port, cert.caBase64))
    // Registration is not instant: the apiserver's webhook informer must see the configuration. Probe with a
    // server-side dry run of the bad policy until the webhook answers it.
    const bad = await waitFor('the validating webhook to answer for ForesightPolicies', 30_000, async () => {
      const r = await kubectl(['apply', '--dry-run=server', '-f', '-'], { input: badQuery })
      return r.code !== 0 && r.stderr.includes('denied the request') ? r : undefined
    })
    t.match(bad.stderr, /admission webhook "foresightpolicies\.foresight\.dev" denied the request/, bad.stderr.trim())
    const q = await kubectl(['apply', '-f', '-'], { input: badQuery })
    t.not(q.code, 0, 'kubectl apply of a policy with bad PromQL fails')
    t.match(q.stderr, /denied the request: ForesightPolicy e2e-scale\/bad-query is invalid: spec\.load\.query: invalid PromQL: syntax error at line 1, column \d+/, q.stderr.trim())
    const m = await kubectl(['apply', '-f', '-'], { input: minOverMax })
    t.not(m.code, 0, 'kubectl apply of a policy with minReplicas > maxReplicas fails')
    t.match(m.stderr, /denied the request: ForesightPolicy e2e-scale\/min-over-max is invalid: spec\.minReplicas: must not exceed maxReplicas/, m.stderr.trim())
    const stored = await kubectl(['get', 'foresightpolicy', 'bad-query', 'min-over-max', '-n', SCALE_NS, '--ignore-not-found', '-o', 'name'])
    t.equal(stored.stdout.trim(), '', 'neither was stored')

    // The mutating webhook writes defaults the CRD schema does not have (it would be admitted either way).
    const ok = await kubectl(['apply', '-f', '-'], { input: `apiVersion: foresight.dev/v1alpha1
kind: ForesightPolicy
metadata: {name: valid, namespace: ${SCALE_NS}}
spec:
  scaleTargetRef: {name: valid}
  load: {query: '${LOAD_QUERY}', capacityPerReplica: 1}
  maxReplicas: 3
` })
    t.equal(ok.code, 0, `a valid policy is admitted: ${ok.stderr.trim()}`)
    t.match(ok.stderr, /Warning: .*Deployment e2e-scale\/valid does not exist/, 'with the lookup warning about its missing target')
    const valid = await getJson<{ spec: { remediation?: { mode?: string } } }>(['get', 'foresightpolicy', 'valid', '-n', SCALE_NS])
    t.equal(valid?.spec.remediation?.mode, 'DryRun', 'stored with defaults')
    await kubectl(['delete', 'foresightpolicy', 'valid', '-n', SCALE_NS])

    // Enforce borrows the controller's eviction right, so its author must hold it: a user who may only write
    // policies is refused, and admitted once a RoleBinding lets them evict (server-side dry runs: nothing stored).
    await apply(writerRbac)
    const enforce = (): Promise<{ code: number; stderr: string }> => kubectl(['create', '--dry-run=server', `--as=${WRITER}`, '-f', '-'], { input: enforcePolicy })
    const refused = await enforce()
    t.not(refused.code, 0, 'an Enforce policy by a user who may not evict pods is refused')
    t.match(refused.stderr, new RegExp(`denied the request: ForesightPolicy ${SCALE_NS}/enforce-by-writer is forbidden: User "${WRITER}" cannot create resource "pods/eviction"`), refused.stderr.trim())
    const dryRun = await kubectl(['create', '--dry-run=server', `--as=${WRITER}`, '-f', '-'], { input: enforcePolicy.replace('mode: Enforce', 'mode: DryRun') })
    t.equal(dryRun.code, 0, `the same policy in DryRun is admitted: ${dryRun.stderr.trim()}`)
    await apply(writerEvictRbac)
    const admitted = await waitFor('the eviction RoleBinding to reach the authorizer', 15_000, async () => {
      const r = await enforce()
      return r.code === 0 ? r : undefined
    })
    t.equal(admitted.code, 0, 'admitted once the user may evict pods')
    await kubectl(['delete', 'role,rolebinding', 'e2e-policy-writer', 'e2e-policy-writer-evict', '-n', SCALE_NS, '--ignore-not-found'])

    const hpa = await kubectl(['apply', '-f', '-'], { input: valueHpa })
    t.equal(hpa.code, 0, `the Value HPA is admitted: ${hpa.stderr.trim()}`)
    t.match(hpa.stderr, /Warning: .*target\.type: Value multiplies foresight_desired_replicas by the ready pods/, 'kubectl prints the webhook\'s warning')
    t.match(hpa.stdout, /horizontalpodautoscaler.autoscaling\/web-value created/)
    await kubectl(['delete', 'hpa', 'web-value', '-n', SCALE_NS])
  })
}
