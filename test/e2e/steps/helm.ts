import { X509Certificate } from 'node:crypto'
import { join } from 'node:path'
import type { Test } from 'tap'
import { helm, helmSkip, parseManifests } from '../../helpers/helm.js'
import { REPO } from '../lib/cluster.js'
import { apply, getJson, kubectl, KUBECONFIG, waitFor } from '../lib/kube.js'

// Last step: the Helm chart installed into the control plane with `helm install` (server-side apply, Helm 4's
// default), the way a user installs it. It runs last because the release registers the APIService
// v1beta1.external.metrics.k8s.io and ForesightPolicy webhooks that fail closed, both backed by kwok pods that
// answer nothing: the earlier steps' local adapter and webhook would lose their registrations. The cluster-wide
// RBAC and the APIService that earlier steps applied with kubectl are still there, so the install also shows the
// move from kustomize to the chart (--take-ownership --force-conflicts). The release is uninstalled at the end.

const NS = 'foresight-helm'
const RELEASE = 'foresight'
const CHART = join(REPO, 'deploy', 'helm', 'foresight')
const APISERVICE = 'v1beta1.external.metrics.k8s.io'

interface Meta { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; managedFields?: Array<{ manager?: string; operation?: string }> }
interface Obj { kind: string; apiVersion: string; metadata: Meta }
interface ApiService extends Obj {
  spec: { service?: { name: string; namespace: string; port?: number }; caBundle?: string }
  status?: { conditions?: Array<{ type: string; status: string; reason?: string; message?: string }> }
}
interface WebhookConfiguration extends Obj { webhooks: Array<{ name: string; failurePolicy?: string; clientConfig: { caBundle?: string; service?: { name: string; namespace: string; path?: string } } }> }
interface Deployment extends Obj { spec: { replicas: number }; status?: { availableReplicas?: number } }

const kube = ['--kubeconfig', KUBECONFIG]
const resource = (o: Obj): string => `${o.kind.toLowerCase()}.${o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] ?? '' : ''}`.replace(/\.$/, '')

export async function helmSuite(t: Test): Promise<void> {
  await t.test('helm install: the chart into kube-apiserver, server-side applied, APIService and webhooks registered', { skip: helmSkip }, async (t) => {
    // Labelled so that a reused cluster's teardown removes the namespace with the others of the suite.
    await apply(`apiVersion: v1\nkind: Namespace\nmetadata: {name: ${NS}, labels: {foresight.dev/e2e: "true"}}\n`)
    t.teardown(async () => {
      await helm(['uninstall', RELEASE, '-n', NS, '--ignore-not-found', ...kube], 120_000)
    })
    const started = Date.now()
    // kwok runs the pods without pulling an image; --wait waits for the Deployments to be available.
    // --take-ownership adopts the objects kubectl applied; --force-conflicts lets the release's values win over
    // the fields kubectl owns (the subjects' namespace, the APIService's Service), as server-side apply requires.
    const install = await helm(['install', RELEASE, CHART, '-n', NS, '--take-ownership', '--force-conflicts', '--wait', '--timeout', '3m', ...kube], 240_000)
    t.equal(install.code, 0, `helm install: ${install.stderr.trim()}`)
    if (install.code !== 0) return
    t.pass(`installed and available in ${((Date.now() - started) / 1000).toFixed(1)} s`)

    // Every object of the release is in the cluster, labelled as Helm's, and written by server-side apply.
    const manifest = await helm(['get', 'manifest', RELEASE, '-n', NS, ...kube])
    const objects = parseManifests(manifest.stdout, 'helm get manifest') as unknown as Obj[]
    t.ok(objects.length >= 30, `${objects.length} objects in the release`)
    for (const o of objects) {
      const live = await getJson<Obj>(['get', resource(o), o.metadata.name, '--show-managed-fields', ...(o.metadata.namespace !== undefined ? ['-n', o.metadata.namespace] : [])])
      const where = `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`
      if (live === undefined) {
        t.fail(`${where} is not in the cluster`)
        continue
      }
      t.equal(live.metadata.annotations?.['meta.helm.sh/release-name'], RELEASE, `${where}: in the release`)
      const managers = (live.metadata.managedFields ?? []).map((f) => `${f.manager ?? '?'}:${f.operation ?? '?'}`)
      t.ok(managers.includes('helm:Apply'), `${where}: server-side applied by helm (${managers.join(', ')})`)
    }
    const crd = await getJson<Obj>(['get', 'crd', 'foresightpolicies.foresight.dev'])
    t.ok(crd !== undefined, 'the CRD from crds/ is there')

    // The Deployments' pods (kwok) became available, so the Services have endpoints.
    for (const name of ['foresight-adapter', 'foresight-webhook', 'foresight-controller']) {
      const d = await getJson<Deployment>(['get', 'deployment', name, '-n', NS])
      t.equal(d?.status?.availableReplicas, d?.spec.replicas, `${name}: ${String(d?.status?.availableReplicas)} of ${String(d?.spec.replicas)} available`)
    }

    // The APIService names the release's Service and carries the CA of the chart-generated certificate.
    const secretCa = async (name: string): Promise<string> => {
      const s = await getJson<{ data: Record<string, string> }>(['get', 'secret', name, '-n', NS])
      return s?.data['ca.crt'] ?? ''
    }
    const adapterCa = await secretCa('foresight-adapter-tls')
    t.ok(new X509Certificate(Buffer.from(adapterCa, 'base64')).ca, 'the adapter Secret carries its CA')
    const api = await getJson<ApiService>(['get', 'apiservice', APISERVICE])
    t.same(api?.spec.service, { name: 'foresight-adapter', namespace: NS, port: 443 }, 'the APIService points at the release Service')
    t.equal(api?.spec.caBundle, adapterCa, 'and trusts the generated CA')
    // kube-apiserver resolved the Service and its endpoints (kwok pods, which do not answer): any reason but
    // a missing Service or missing endpoints shows the wiring is right.
    const cond = await waitFor('the aggregator to judge the APIService', 60_000, async () => {
      const c = (await getJson<ApiService>(['get', 'apiservice', APISERVICE]))?.status?.conditions?.find((x) => x.type === 'Available')
      return c !== undefined && c.reason !== undefined && !['ServiceNotFound', 'MissingEndpoints'].includes(c.reason) ? c : undefined
    })
    t.pass(`APIService Available=${cond.status} (${cond.reason ?? ''}): the Service and its endpoints resolve`)

    const webhookCa = await secretCa('foresight-webhook-tls')
    for (const kind of ['validatingwebhookconfiguration', 'mutatingwebhookconfiguration']) {
      const w = await getJson<WebhookConfiguration>(['get', kind, 'foresight'])
      t.ok((w?.webhooks.length ?? 0) > 0, `${kind} foresight registered`)
      for (const hook of w?.webhooks ?? []) {
        t.equal(hook.clientConfig.service?.namespace, NS, `${hook.name}: the release's webhook Service`)
        t.equal(hook.clientConfig.caBundle, webhookCa, `${hook.name}: the generated CA`)
      }
    }

    // KEDA mode on the running release: the APIService and the HPA's access to it go, everything else stays.
    const upgrade = await helm(['upgrade', RELEASE, CHART, '-n', NS, '--reuse-values', '--set', 'apiService.enabled=false', '--wait', '--timeout', '3m', ...kube], 240_000)
    t.equal(upgrade.code, 0, `helm upgrade --set apiService.enabled=false: ${upgrade.stderr.trim()}`)
    t.not((await kubectl(['get', 'apiservice', APISERVICE])).code, 0, 'KEDA mode: no APIService')
    t.not((await kubectl(['get', 'clusterrole', 'foresight-external-metrics-reader'])).code, 0, 'KEDA mode: no HPA reader role')
    t.equal((await kubectl(['get', 'deployment', 'foresight-adapter', '-n', NS])).code, 0, 'the adapter still runs')
    t.equal((await kubectl(['get', 'validatingwebhookconfiguration', 'foresight'])).code, 0, 'the webhooks stay')
    // The upgrade made new certificates (certificates.mode generate), and the caBundles moved with them.
    const renewedCa = await secretCa('foresight-webhook-tls')
    t.not(renewedCa, webhookCa, 'a new CA after the upgrade')
    const renewed = await getJson<WebhookConfiguration>(['get', 'validatingwebhookconfiguration', 'foresight'])
    t.ok(renewed !== undefined && renewed.webhooks.every((w) => w.clientConfig.caBundle === renewedCa), 'the webhooks trust the new CA')

    const uninstall = await helm(['uninstall', RELEASE, '-n', NS, '--wait', ...kube], 120_000)
    t.equal(uninstall.code, 0, `helm uninstall: ${uninstall.stderr.trim()}`)
    for (const [kind, name] of [['validatingwebhookconfiguration', 'foresight'], ['mutatingwebhookconfiguration', 'foresight'], ['clusterrole', 'foresight-adapter']]) {
      t.not((await kubectl(['get', kind ?? '', name ?? ''])).code, 0, `uninstalled: ${kind ?? ''} ${name ?? ''}`)
    }
    t.ok(await getJson<Obj>(['get', 'crd', 'foresightpolicies.foresight.dev']), 'the CRD stays (Helm never deletes crds/), and the policies with it')
  })
}
