import { spawn } from 'node:child_process'

export interface CliResult { code: number | null; stdout: string; stderr: string }

/** Runs the `foresight` CLI from the sources to its end, as a user would; killed after `timeoutMs`. */
export function runCli(args: readonly string[], timeoutMs = 240_000): Promise<CliResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cmd/foresight.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  return new Promise((resolve) => child.on('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }) }))
}
