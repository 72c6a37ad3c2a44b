import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures')

/** Path of a per-minute trace fixture for the benches' --trace option (test/fixtures/user-trace). */
export function userTraceFixture(name: string): string {
  return join(FIXTURES, 'user-trace', name)
}

/** Root of the tiny corpus in NAB's layout (test/fixtures/foresight-data/nab). */
export function nabCorpusFixture(): string {
  return join(FIXTURES, 'foresight-data', 'nab')
}

export interface BenchResult { code: number | null; stdout: string; stderr: string }

/** Runs a bench entry point (bench/<name>.ts) from the sources to its end, as `npm run bench:<name> -- args` would; killed after `timeoutMs`. */
export function runBench(name: string, args: readonly string[], timeoutMs = 120_000): Promise<BenchResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', `bench/${name}.ts`, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  return new Promise((resolve) => child.on('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }) }))
}
