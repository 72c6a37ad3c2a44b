import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

// hack/prometheus-history.ts, the backfill hack/cluster-up.sh runs before it starts Prometheus: real promtool
// output, checked without a cluster.

const REPO = fileURLToPath(new URL('../..', import.meta.url))

async function run(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'hack/prometheus-history.ts', ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  proc.stdout.on('data', (d: Buffer) => { stdout += String(d) })
  proc.stderr.on('data', (d: Buffer) => { stderr += String(d) })
  const timer = setTimeout(() => proc.kill('SIGKILL'), 120_000)
  const [code] = (await once(proc, 'exit')) as [number | null]
  clearTimeout(timer)
  return { code, stdout, stderr }
}

t.test('one day of history becomes TSDB blocks and a config with no scrape targets', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'foresight-history-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const r = await run(['--dir', dir, '--days', '1'])
  t.equal(r.code, 0, r.stderr)
  const out = JSON.parse(r.stdout) as { tsdb: string; config: string; startMs: number; endMs: number }
  t.equal(out.endMs - out.startMs, (1440 - 1) * 60_000, 'one day of 1-minute samples')
  t.ok(Math.abs(Date.now() - out.endMs) < 5 * 60_000, 'the history ends now')
  t.ok(existsSync(out.config))
  // promtool writes 2-hour blocks: a day spans 12 or 13 of them, each with its meta.json.
  const blocks = readdirSync(out.tsdb).filter((b) => existsSync(join(out.tsdb, b, 'meta.json')))
  t.ok(blocks.length >= 12 && blocks.length <= 13, `${blocks.length} blocks`)
})

t.test('bad arguments are refused with a message', async (t) => {
  const noDir = await run(['--days', '1'])
  t.not(noDir.code, 0)
  t.match(noDir.stderr, /--dir is required/)
  const badDays = await run(['--dir', join(tmpdir(), 'unused'), '--days', '0'])
  t.not(badDays.code, 0)
  t.match(badDays.stderr, /--days must be an integer in \[1, 30\], got 0/)
})
