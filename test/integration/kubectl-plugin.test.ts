import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, statSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join, resolve } from 'node:path'
import t from 'tap'

// The CLI as a kubectl plugin: kubectl runs any executable named kubectl-foresight on PATH for `kubectl foresight`.
// The real kubectl, with the checkout's shim (hack/kubectl-foresight) linked into a directory put first on PATH,
// as docs/cli.md tells users to do.

const KUBECTL = '/usr/bin/kubectl'
const skip = (() => {
  try {
    statSync(KUBECTL)
    return false
  } catch {
    return `${KUBECTL} not installed`
  }
})()

const bin = mkdtempSync(join(tmpdir(), 'foresight-plugin-'))
symlinkSync(resolve('hack/kubectl-foresight'), join(bin, 'kubectl-foresight'))
// No kubeconfig at all: the plugin must say so, not fail on a default server.
const env = { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}`, KUBECONFIG: '', HOME: mkdtempSync(join(tmpdir(), 'foresight-home-')) }

function kubectl(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(KUBECTL, args, { env, cwd: tmpdir(), stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
  return new Promise((done) => child.on('exit', (code) => { clearTimeout(timer); done({ code, stdout, stderr }) }))
}

t.test('kubectl plugin list finds kubectl-foresight on PATH', { skip }, async (t) => {
  const r = await kubectl(['plugin', 'list'])
  t.match(r.stdout, new RegExp(`^${join(bin, 'kubectl-foresight').replaceAll('/', '\\/')}$`, 'm'), r.stderr)
  t.notMatch(r.stderr, /warning: .*kubectl-foresight/, 'no warning about it (not executable, shadowed)')
})

t.test('kubectl foresight --help, explain --help and backtest --help run the CLI under the plugin\'s name', { skip }, async (t) => {
  const help = await kubectl(['foresight', '--help'])
  t.equal(help.code, 0, help.stderr)
  t.match(help.stdout, /^Usage: kubectl foresight \[options\] \[command\]$/m)
  t.match(help.stdout, /^ {2}explain \[options\] <policy>/m)
  t.match(help.stdout, /^ {2}backtest \[options\]/m)
  const explain = await kubectl(['foresight', 'explain', '--help'])
  t.equal(explain.code, 0)
  t.match(explain.stdout, /^Usage: kubectl foresight explain \[options\] <policy>$/m)
  for (const flag of ['-n, --namespace', '--kubeconfig', '--context', '-o, --output', '--local']) t.match(explain.stdout, flag)
  const backtest = await kubectl(['foresight', 'backtest', '--help'])
  t.equal(backtest.code, 0)
  t.match(backtest.stdout, /--prometheus <url>/)
})

t.test('kubectl foresight explain without any kubeconfig says what is missing', { skip }, async (t) => {
  const r = await kubectl(['foresight', 'explain', 'web', '-n', 'prod'])
  t.equal(r.code, 1)
  t.match(r.stderr, /^no kubeconfig found: give --kubeconfig, set KUBECONFIG, or create ~\/\.kube\/config$/m)
})

t.test('the package installs the plugin from dist/ as npm links bins', async (t) => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { bin: Record<string, string> }
  t.equal(pkg.bin['kubectl-foresight'], 'dist/cmd/kubectl-foresight.js')
  t.match(readFileSync('cmd/kubectl-foresight.ts', 'utf8'), /^#!\/usr\/bin\/env node\n/, 'the built entry keeps its shebang')
  t.ok((statSync('hack/kubectl-foresight').mode & 0o111) !== 0, 'the checkout shim is executable')
})
