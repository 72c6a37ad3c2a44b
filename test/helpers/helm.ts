import { execFile, execFileSync } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { parseAllDocuments } from 'yaml'

// The helm binary for the chart tests: the one hack/build-helm.sh caches, else `helm` on the PATH. Without either
// the tests skip, saying how to get it, so `npm test` still passes on a machine that has not built it.

const execFileP = promisify(execFile)

export const HELM_VERSION = 'v4.3.2'

export interface K8sObject { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; [key: string]: unknown }

function runs(bin: string): boolean {
  try {
    execFileSync(bin, ['version', '--short'], { stdio: 'ignore', timeout: 10_000 })
    return true
  } catch {
    return false
  }
}

function findHelm(): string | undefined {
  const cache = process.env.FORESIGHT_CACHE ?? join(homedir(), '.cache', 'foresight')
  const cached = join(cache, `helm-${HELM_VERSION}`, 'bin', 'helm')
  try {
    accessSync(cached, constants.X_OK)
    return cached
  } catch {
    return runs('helm') ? 'helm' : undefined
  }
}

export const HELM: string | undefined = findHelm()

/** A tap `skip` value: false when helm is there, else the reason and the command that fixes it. */
export const helmSkip: string | false = HELM !== undefined ? false
  : `helm not found (neither ${join('$FORESIGHT_CACHE', `helm-${HELM_VERSION}`, 'bin', 'helm')} nor helm on the PATH): run \`bash hack/build-helm.sh\``

export interface HelmResult { code: number; stdout: string; stderr: string }

/** Runs helm; never throws on a non-zero exit (callers assert on code and stderr). */
export async function helm(args: readonly string[], timeoutMs = 60_000): Promise<HelmResult> {
  if (HELM === undefined) throw new Error(String(helmSkip))
  try {
    const { stdout, stderr } = await execFileP(HELM, args, { maxBuffer: 64 * 1024 * 1024, timeout: timeoutMs })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code?: unknown; stdout?: string; stderr?: string }
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err) }
  }
}

/** Objects of a multi-document YAML stream (empty documents dropped); a parse error throws. */
export function parseManifests(text: string, where: string): K8sObject[] {
  const out: K8sObject[] = []
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`${where}: ${doc.errors.map((e) => e.message).join('; ')}`)
    const value = doc.toJS() as unknown
    if (value !== null && value !== undefined) out.push(value as K8sObject)
  }
  return out
}
