import { KubeConfig } from '@kubernetes/client-node'
import type { Logger } from 'pino'
import type { AdapterConfig } from '../config/adapter-config.js'
import { formatExplanation } from '../engine/explanation.js'
import { formatServed, isOutputFormat, OUTPUT_FORMATS } from '../explain/format.js'
import { ExplainError, explainServed } from '../explain/served.js'
import { rawGet } from '../kube/raw-get.js'

export { ExplainError }

/** Each request of `foresight explain` to the cluster. */
const REQUEST_TIMEOUT_MS = 10_000

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/

/** `<policy>` or `<namespace>/<policy>`, the namespace from -n when not in the target. */
export function parseTarget(target: string, namespace: string | undefined): { namespace: string | undefined; name: string } {
  const parts = target.split('/')
  const [a, b] = parts
  if (parts.length > 2 || a === undefined || !NAME.test(parts.at(-1) ?? '') || (b !== undefined && !NAME.test(a))) {
    throw new ExplainError(`unable to explain "${target}": expected <policy> or <namespace>/<policy>`)
  }
  if (b === undefined) return { namespace, name: a }
  if (namespace !== undefined && namespace !== a) throw new ExplainError(`unable to explain "${target}": it names namespace ${a} but --namespace says ${namespace}`)
  return { namespace: a, name: b }
}

export interface ClusterExplainOptions {
  kubeconfig?: string
  context?: string
  namespace?: string
  output: string
}

/** The user's kubeconfig as kubectl finds it: --kubeconfig, else $KUBECONFIG, else ~/.kube/config (or in-cluster). */
export function userKubeConfig(file: string | undefined, context: string | undefined): KubeConfig {
  const kc = new KubeConfig()
  try {
    if (file !== undefined) kc.loadFromFile(file)
    else kc.loadFromDefault()
  } catch (err) {
    throw new ExplainError(`unable to load the kubeconfig${file !== undefined ? ` ${file}` : ''}: ${(err as Error).message.split('\n')[0] ?? ''}`, { cause: err })
  }
  // client-node's last resort when it finds no configuration at all: say so instead of failing on localhost:8080.
  const cluster = kc.getCurrentCluster()
  if (file === undefined && cluster?.name === 'cluster' && cluster.server === 'http://localhost:8080' && kc.getCurrentUser()?.name === 'user') {
    throw new ExplainError('no kubeconfig found: give --kubeconfig, set KUBECONFIG, or create ~/.kube/config')
  }
  if (context !== undefined) {
    if (kc.getContextObject(context) === null) throw new ExplainError(`no context "${context}" in the kubeconfig (contexts: ${kc.getContexts().map((c) => c.name).join(', ') || 'none'})`)
    kc.setCurrentContext(context)
  }
  return kc
}

/** What the running adapter serves for the policy, read through the API server of the kubeconfig's context. */
export async function explainFromCluster(target: string, opts: ClusterExplainOptions): Promise<{ text: string; served: boolean }> {
  if (!isOutputFormat(opts.output)) throw new ExplainError(`unknown output format "${opts.output}": one of ${OUTPUT_FORMATS.join(', ')}`)
  const t = parseTarget(target, opts.namespace)
  const kc = userKubeConfig(opts.kubeconfig, opts.context)
  const namespace = t.namespace ?? kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default'
  const e = await explainServed((path) => rawGet(kc, path, REQUEST_TIMEOUT_MS), namespace, t.name)
  return { text: formatServed(e, opts.output), served: e.served.desiredReplicas !== undefined }
}

/**
 * `--local`: recomputes one policy from the data source now and describes the derivation. A fresh computation has
 * no scale-down history, so while the adapter is still damping a scale-down it may serve a higher count than this.
 * The explanation, and whether a replica count could be served at all (the CLI exits 1 when not).
 */
export async function explainPolicy(cfg: AdapterConfig, target: string, log: Logger, namespace?: string): Promise<{ text: string; served: boolean }> {
  const parsed = parseTarget(target, namespace)
  const key = `${parsed.namespace ?? 'default'}/${parsed.name}`
  // Loaded here: reading what a cluster serves needs neither the model runtime nor the engine.
  const { buildPrediction } = await import('./adapter.js')
  const { model, policies, engine } = await buildPrediction(cfg, log)
  try {
    await policies.start()
    const policy = policies.list().find((p) => `${p.metadata.namespace}/${p.metadata.name}` === key)
    if (policy === undefined) {
      const why = policies.invalid().get(key)
      throw new ExplainError(why !== undefined ? `unable to explain ${key}: the policy is invalid: ${why}` : `unable to explain ${key}: no such policy`)
    }
    await engine.refresh([policy])
    const result = engine.result(key)
    if (result === undefined) throw new ExplainError(`unable to explain ${key}: the engine produced no result`)
    return { text: formatExplanation(result), served: result.desiredReplicas !== undefined }
  } finally {
    await policies.close()
    await model.close()
  }
}
