import { KubeConfig, Observable, type ConfigurationOptions, type ObservableMiddleware } from '@kubernetes/client-node'

/** kubeconfig from a file when given, else the pod's service account. */
export function loadKubeConfig(kubeconfigFile: string | undefined): KubeConfig {
  const kc = new KubeConfig()
  if (kubeconfigFile !== undefined) kc.loadFromFile(kubeconfigFile)
  else kc.loadFromCluster()
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
