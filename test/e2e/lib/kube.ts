import { execFile } from 'node:child_process'

// kubectl against the e2e cluster. Every call has a deadline so a hung apiserver fails a test instead of the suite.

export interface KubectlResult { code: number; stdout: string; stderr: string }

export const KUBECONFIG = process.env.FORESIGHT_E2E_KUBECONFIG ?? '/tmp/foresight-e2e/kubeconfig'
const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl'

/** Runs kubectl; never throws on a non-zero exit (callers assert on code/stderr). */
export function kubectl(args: readonly string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = execFile(KUBECTL, ['--kubeconfig', KUBECONFIG, '--request-timeout=20s', ...args], { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1
      // kubectl 1.32 against a 1.34 server always prints a skew warning; it is noise for every assertion here.
      resolve({ code, stdout, stderr: stderr.split('\n').filter((l) => !l.includes('version difference')).join('\n') })
    })
    if (opts.input !== undefined) child.stdin?.end(opts.input)
  })
}

/** kubectl that must succeed: throws with the command and its stderr otherwise. */
export async function kubectlOk(args: readonly string[], input?: string): Promise<string> {
  const r = await kubectl(args, input !== undefined ? { input } : {})
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`)
  return r.stdout
}

export async function apply(yaml: string): Promise<string> {
  return kubectlOk(['apply', '-f', '-'], yaml)
}

export async function getJson<T>(args: readonly string[]): Promise<T | undefined> {
  const r = await kubectl([...args, '-o', 'json'])
  return r.code === 0 ? (JSON.parse(r.stdout) as T) : undefined
}

export async function getRaw(path: string, as?: string): Promise<KubectlResult> {
  return kubectl([...(as !== undefined ? [`--as=${as}`] : []), 'get', '--raw', path])
}

/**
 * Polls `check` until it returns a value other than undefined, or fails after timeoutMs with `what` and the last
 * observation, so a timeout says what was being waited for and what was seen instead.
 */
export async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>, intervalMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: string | undefined
  for (;;) {
    try {
      const v = await check()
      if (v !== undefined) return v
    } catch (err) {
      last = err instanceof Error ? err.message : JSON.stringify(err)
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last !== undefined ? ` (last error: ${last})` : ''}`)
    await new Promise((r) => setTimeout(r, intervalMs))
  }
}

export interface KubeEvent { reason?: string; note?: string; type?: string; regarding?: { kind?: string; name?: string }; deprecatedCount?: number }

/** events.k8s.io/v1 Events in a namespace (the controller writes this API, not core/v1). */
export async function events(namespace: string): Promise<KubeEvent[]> {
  const list = await getJson<{ items: KubeEvent[] }>(['get', 'events.events.k8s.io', '-n', namespace])
  return list?.items ?? []
}
