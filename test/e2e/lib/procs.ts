import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { REPO } from './cluster.js'

// Foresight's own CLI as child processes, the way it runs in production (one process per role), and the other
// programs the suite runs beside it (KEDA), logs to files.

export interface ForesightProcess {
  name: string
  pid: number
  logFile: string
  proc: ChildProcess
  /** Last lines of the log, for failure messages. */
  tail(lines?: number): string
  /** Resolves once a log line matches, rejects on exit or after timeoutMs. */
  waitForLog(re: RegExp, timeoutMs: number): Promise<string>
  kill(signal?: NodeJS.Signals): Promise<void>
}

const running = new Set<ForesightProcess>()

export function startForesight(name: string, role: 'adapter' | 'controller' | 'webhook', sets: readonly string[], dir: string): ForesightProcess {
  return startProcess(name, process.execPath, ['--import', 'tsx', join(REPO, 'cmd', 'foresight.ts'), role, ...sets.map((s) => `--set=${s}`)], dir, { NODE_OPTIONS: '' })
}

/** Any program as a child process with its output in <dir>/<name>.log, killed by killAll. */
export function startProcess(name: string, bin: string, args: readonly string[], dir: string, env: Record<string, string> = {}): ForesightProcess {
  const logFile = join(dir, `${name}.log`)
  const fd = openSync(logFile, 'a')
  const proc = spawn(bin, args, { cwd: REPO, stdio: ['ignore', fd, fd], env: { ...process.env, ...env } })
  closeSync(fd)
  if (proc.pid === undefined) throw new Error(`unable to start ${name} (${bin})`)
  const tail = (lines = 25): string => readFileSync(logFile, 'utf8').split('\n').slice(-lines).join('\n')
  const exited = (): boolean => proc.exitCode !== null || proc.signalCode !== null
  const p: ForesightProcess = {
    name,
    pid: proc.pid,
    logFile,
    proc,
    tail,
    async waitForLog(re, timeoutMs) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const line = readFileSync(logFile, 'utf8').split('\n').find((l) => re.test(l))
        if (line !== undefined) return line
        if (exited()) throw new Error(`${name} exited (${proc.exitCode ?? proc.signalCode}) before logging ${re}:\n${tail()}`)
        if (Date.now() > deadline) throw new Error(`${name} did not log ${re} within ${timeoutMs} ms:\n${tail()}`)
        await new Promise((r) => setTimeout(r, 200))
      }
    },
    async kill(signal = 'SIGTERM') {
      running.delete(p)
      if (exited()) return
      const done = once(proc, 'exit')
      proc.kill(signal)
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000)
      await done
      clearTimeout(timer)
    },
  }
  running.add(p)
  return p
}

/** Kills every process started here that is still running (teardown, also after a failure). */
export async function killAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.kill('SIGKILL')))
}
