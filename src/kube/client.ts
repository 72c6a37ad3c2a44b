import { KubeConfig } from '@kubernetes/client-node'

/** kubeconfig from a file when given, else the pod's service account. */
export function loadKubeConfig(kubeconfigFile: string | undefined): KubeConfig {
  const kc = new KubeConfig()
  if (kubeconfigFile !== undefined) kc.loadFromFile(kubeconfigFile)
  else kc.loadFromCluster()
  return kc
}

/** Per-call options that abort the HTTP request when `signal` fires (client-node has no per-call timeout). */
export function withSignal(signal: AbortSignal): { middleware: Array<{ pre: (c: { setSignal(s: AbortSignal): void }) => Promise<never>; post: <T>(c: T) => Promise<T> }>; middlewareMergeStrategy: 'append' } {
  return {
    middleware: [{
      pre: (ctx) => { ctx.setSignal(signal); return Promise.resolve(ctx as never) },
      post: (ctx) => Promise.resolve(ctx),
    }],
    middlewareMergeStrategy: 'append',
  }
}
