import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { kubectl, KUBECONFIG } from './kube.js'

// The cluster of hack/cluster-up.sh. Reused when it already answers (a developer's running cluster); otherwise
// started here and stopped by the suite's teardown.

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

export interface ClusterEnv {
  kubeconfig: string
  apiserverUrl: string
  clusterCA: string
  frontProxyCA: string
  frontProxyClientCert: string
  frontProxyClientKey: string
  /** cert-manager and Prometheus Operator CRDs fetched by hack/build-control-plane.sh (absent in older clusters). */
  thirdPartyCrds: string | undefined
}

function run(script: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    // The suite runs its own Prometheus (with per-pod series ending in the future), not cluster-up's.
    const env = { ...process.env, FORESIGHT_CLUSTER_PROMETHEUS: '0' }
    execFile('bash', [join(REPO, 'hack', script)], { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, env }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`hack/${script} failed: ${err.message}\n${String(stdout).slice(-2000)}\n${String(stderr).slice(-2000)}`))
      else resolve()
    })
  })
}

export async function clusterAnswers(): Promise<boolean> {
  const r = await kubectl(['get', '--raw', '/readyz'], { timeoutMs: 10_000 })
  return r.code === 0 && r.stdout.trim() === 'ok'
}

export async function clusterUp(): Promise<void> {
  await run('cluster-up.sh', 240_000)
}

export async function clusterDown(): Promise<void> {
  await run('cluster-down.sh', 60_000)
}

export function readClusterEnv(): ClusterEnv {
  const file = join(dirname(KUBECONFIG), 'cluster.env')
  const kv = Object.fromEntries(readFileSync(file, 'utf8').split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]))
  const need = (k: string): string => {
    const v = kv[k]
    if (v === undefined || v === '') throw new Error(`${file} has no ${k}`)
    return v
  }
  return {
    kubeconfig: need('KUBECONFIG'),
    apiserverUrl: need('FORESIGHT_APISERVER_URL'),
    clusterCA: need('FORESIGHT_CLUSTER_CA'),
    frontProxyCA: need('FORESIGHT_FRONT_PROXY_CA'),
    frontProxyClientCert: need('FORESIGHT_FRONT_PROXY_CLIENT_CERT'),
    frontProxyClientKey: need('FORESIGHT_FRONT_PROXY_CLIENT_KEY'),
    thirdPartyCrds: kv.FORESIGHT_THIRD_PARTY_CRDS,
  }
}
