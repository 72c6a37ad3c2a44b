import type { Test } from 'tap'
import type { Suite } from '../e2e.test.js'
import { createCA, issueCert } from '../../../src/auth/pki.js'
import { call } from '../../helpers/https-client.js'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseAllDocuments, stringify } from 'yaml'
import { REPO } from '../lib/cluster.js'
import { apply, getRaw, kubectl, waitFor } from '../lib/kube.js'
import { askAdapter, metricPath, SCALE_NS } from './adapter.js'

// Step 3: the adapter's delegated authentication/authorization, both straight and through kube-apiserver.

const HPA_SA = 'system:serviceaccount:kube-system:horizontal-pod-autoscaler'

export async function authSuite(t: Test, suite: Suite): Promise<void> {
  await t.test('auth: no credentials 401, no RBAC 403, the HPA service account allowed', { skip: suite.adapter === undefined ? 'no adapter' : false }, async (t) => {
    const adapter = suite.adapter
    if (adapter === undefined) return
    const path = metricPath(SCALE_NS, 'foresight_desired_replicas', 'web')
    const anon = await call(`https://127.0.0.1:${adapter.port}${path}`, { ca: adapter.caPem })
    t.equal(anon.status, 401, `straight to the adapter without a client certificate: ${anon.status} ${anon.text.slice(0, 200)}`)

    // The right CN and headers, but a client certificate from a CA the adapter does not trust.
    const impostorCA = createCA('front-proxy-ca')
    const impostor = issueCert(impostorCA, { commonName: 'front-proxy-client', usage: 'client' })
    const forged = await call(`https://127.0.0.1:${adapter.port}${path}`, { ca: adapter.caPem, cert: impostor.certPem, key: impostor.keyPem, headers: { 'X-Remote-User': 'kwok-admin', 'X-Remote-Group': 'system:masters' } })
    t.equal(forged.status, 401, `an impostor front-proxy certificate asserting kwok-admin: ${forged.status}`)

    const nobody = await getRaw(path, 'nobody')
    t.not(nobody.code, 0, 'kubectl --as=nobody fails')
    t.match(nobody.stderr, /Forbidden|forbidden/, `through kube-apiserver as nobody: ${nobody.stderr.trim()}`)
    const nobodyDirect = await askAdapter(suite, path, 'nobody', [])
    t.equal(nobodyDirect.status, 403, `the adapter's own SubjectAccessReview refuses nobody (front-proxy cert, X-Remote-User nobody): ${nobodyDirect.text.slice(0, 200)}`)

    const hpa = await getRaw(path, HPA_SA)
    t.equal(hpa.code, 0, `kubectl --as=${HPA_SA}: ${hpa.stderr.trim()}`)
    t.match(hpa.stdout, /"foresight_desired_replicas"/)
    const hpaDirect = await askAdapter(suite, path, HPA_SA, ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'])
    t.equal(hpaDirect.status, 200, `the adapter allows the HPA service account: ${hpaDirect.text.slice(0, 200)}`)
  })

  await t.test('the controller\'s shipped RBAC lets it read pod scores through kube-apiserver', { skip: suite.adapter === undefined ? 'no adapter' : false }, async (t) => {
    const docs = parseAllDocuments(readFileSync(join(REPO, 'deploy', 'base', 'controller.yaml'), 'utf8')).map((d) => d.toJS() as { kind: string })
    await apply(docs.filter((d) => ['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding'].includes(d.kind)).map((d) => stringify(d)).join('---\n'))
    const sa = 'system:serviceaccount:foresight:foresight-controller'
    const r = await waitFor('RBAC to settle', 4_000, async () => {
      const x = await getRaw(metricPath(SCALE_NS, 'foresight_pod_anomaly_score', 'web'), sa)
      // Authorized is what matters here: a policy without pod signals answers NotFound, which only an allowed caller sees.
      return x.code === 0 || !/forbidden/i.test(x.stderr) ? x : undefined
    }).catch((err: Error) => ({ code: 1, stdout: '', stderr: err.message }))
    t.notMatch(r.stderr, /forbidden|timed out/i, `kubectl --as=${sa} get --raw .../foresight_pod_anomaly_score is authorized: ${r.stderr.trim()}`)

    // Every call the controller makes (it runs with an admin kubeconfig in this suite, so its own requests prove
    // nothing about the shipped role), and a few it must not be able to make.
    await apply(docs.filter((d) => ['Role', 'RoleBinding'].includes(d.kind)).map((d) => stringify(d)).join('---\n'))
    // can-i exits 0 with "yes" and 1 with "no"; anything else (a bad resource name, no apiserver) is neither.
    const canI = async (args: string[]): Promise<string> => {
      const r = await kubectl(['auth', 'can-i', `--as=${sa}`, ...args])
      return `${r.code} ${r.stdout.trim()}`
    }
    const allowed: string[][] = [
      ['list', 'pods', '-n', SCALE_NS], ['create', 'pods', '--subresource=eviction', '-n', SCALE_NS],
      ['get', 'deployments.apps', '-n', SCALE_NS], ['get', 'statefulsets.apps', '-n', SCALE_NS], ['get', 'replicasets.apps', '-n', SCALE_NS], ['list', 'replicasets.apps', '-n', SCALE_NS],
      ['list', 'foresightpolicies.foresight.dev', '-A'], ['watch', 'foresightpolicies.foresight.dev', '-A'],
      ['get', 'foresightpolicies.foresight.dev', '--subresource=status', '-n', SCALE_NS], ['patch', 'foresightpolicies.foresight.dev', '--subresource=status', '-n', SCALE_NS],
      ['list', 'foresight_pod_anomaly_score.external.metrics.k8s.io', '-n', SCALE_NS], ['create', 'events.events.k8s.io', '-n', SCALE_NS],
      ['create', 'leases.coordination.k8s.io', '-n', 'foresight'], ['get', 'leases.coordination.k8s.io/foresight-controller', '-n', 'foresight'], ['update', 'leases.coordination.k8s.io/foresight-controller', '-n', 'foresight'],
    ]
    const denied: string[][] = [
      ['delete', 'pods', '-n', SCALE_NS], ['get', 'pods', '-n', SCALE_NS], ['get', 'secrets', '-n', SCALE_NS], ['update', 'deployments.apps', '-n', SCALE_NS],
      ['patch', 'foresightpolicies.foresight.dev', '-n', SCALE_NS], ['update', 'leases.coordination.k8s.io/other', '-n', 'foresight'], ['create', 'leases.coordination.k8s.io', '-n', SCALE_NS],
    ]
    for (const a of allowed) t.equal(await canI(a), '0 yes', `the controller may ${a.join(' ')}`)
    for (const a of denied) t.match(await canI(a), /^1 no\b/, `the controller may not ${a.join(' ')}`)
  })
}
