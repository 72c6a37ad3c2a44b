import { KubeConfig, Observable, type ConfigurationOptions, type ObservableMiddleware } from '@kubernetes/client-node'

/**
 * kubeconfig from a file when given, else the pod's service account. `setting` names the configuration key for
 * the error: outside a pod client-node builds a server URL of "https://undefined:undefined", and every call
 * would then fail with a bare "Invalid URL".
 */
export function loadKubeConfig(kubeconfigFile: string | undefined, setting = 'kubeconfig'): KubeConfig {
  const kc = new KubeConfig()
  if (kubeconfigFile !== undefined) {
    kc.loadFromFile(kubeconfigFile)
    return kc
  }
  kc.loadFromCluster()
  if (!URL.canParse(kc.getCurrentCluster()?.server ?? '')) {
    throw new Error(`no cluster to talk to: not running in a pod with a service account, and ${setting} is not set (give a kubeconfig file)`)
  }
  return kc
}

/** Per-call options that abort the HTTP request when `signal` fires (client-node has no per-call timeout). */
export function withSignal(signal: AbortSignal): ConfigurationOptions<ObservableMiddleware> {
  return {
    middleware: [{
      pre: (ctx) => { ctx.setSignal(signal); return new Observable(Promise.resolve(ctx)) },
      post: (ctx) => new Observable(Promise.resolve(ctx)),
    }],
    middlewareMergeStrategy: 'append',
  }
}

export { isNotFound } from './errors.js'
