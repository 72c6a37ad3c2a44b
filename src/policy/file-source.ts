import { createHash } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import type { Logger } from 'pino'
import { parseAllDocuments } from 'yaml'
import { policyKey, type Policy } from './schema.js'
import { StoreBackedSource } from './store-source.js'
import { groupOf } from './findings.js'
import { parseServablePolicy } from './validate.js'

interface FileSourceOptions {
  file: string
  log: Logger
  /** How often the file is checked for changes. */
  pollIntervalMs?: number
}

interface ParsedPolicies {
  valid: Map<string, Policy>
  invalid: Map<string, string>
}

export class PolicyFileError extends Error {
  override name = 'PolicyFileError'
}

const EMPTY_FILE = 'the file holds no document (write [] for an empty set)'

/**
 * Splits a YAML stream (`---` documents and/or `kind: List`) into valid and invalid policies. A YAML syntax error
 * anywhere rejects the whole file: a half-written file must not look like a file with fewer policies. So does a
 * file with no content at all, the state between truncate and write: an intentionally empty set is an explicit
 * empty list (`[]`, or `kind: List` with `items: []`).
 */
export function parsePolicyFile(text: string): ParsedPolicies {
  // YAML 1.1 like kubectl, so a file means the same here as when applied to a cluster (a bare Off is a boolean).
  const docs = parseAllDocuments(text, { version: '1.1' })
  if (!Array.isArray(docs)) throw new PolicyFileError(EMPTY_FILE)
  const objects: unknown[] = []
  let documents = 0
  for (const doc of docs) {
    const error = doc.errors[0]
    if (error !== undefined) throw new PolicyFileError(`not valid YAML: ${error.message.split('\n')[0] ?? ''}`)
    const value: unknown = doc.toJS({ maxAliasCount: 100 })
    if (value === null || value === undefined) continue
    documents++
    if (isList(value)) objects.push(...value.items)
    else if (Array.isArray(value)) objects.push(...(value as unknown[]))
    else objects.push(value)
  }
  if (documents === 0) throw new PolicyFileError(EMPTY_FILE)
  const valid = new Map<string, Policy>()
  const invalid = new Map<string, string>()
  // Which accepted policy targets each workload: a lookup per document, not a scan of those before it.
  const owners = new Map<string, Policy>()
  objects.forEach((obj, i) => {
    // Applied in order, like kubectl apply -f through the admission webhook: a later definition of the same
    // policy wins, and a policy for a workload another one already targets is refused.
    let result = parseServablePolicy(obj)
    const owner = result.ok ? owners.get(targetKey(result.policy)) : undefined
    if (owner !== undefined && result.ok && owner.metadata.name !== result.policy.metadata.name) {
      result = parseServablePolicy(obj, [{ name: owner.metadata.name, target: owner.spec.scaleTargetRef }])
    }
    if (result.ok) {
      const key = policyKey(result.policy)
      const old = valid.get(key)
      if (old !== undefined) owners.delete(targetKey(old))
      valid.set(key, result.policy)
      owners.set(targetKey(result.policy), result.policy)
      invalid.delete(key)
      return
    }
    const key = rawKey(obj) ?? `(object ${i + 1})`
    // The webhook would refuse the update and keep the policy as it was: said so, not dropped in silence.
    invalid.set(key, `${valid.has(key) ? 'a later definition was refused, the earlier one is served: ' : ''}${result.errors.join('; ')}`)
  })
  return { valid, invalid }
}

/** A workload as the webhook's one-policy-per-workload rule tells them apart (sameTarget). */
function targetKey(p: Policy): string {
  const ref = p.spec.scaleTargetRef
  return JSON.stringify([p.metadata.namespace, groupOf(ref.apiVersion), ref.kind, ref.name])
}

function isList(value: unknown): value is { items: unknown[] } {
  if (typeof value !== 'object' || value === null) return false
  const v = value as { kind?: unknown; items?: unknown }
  return typeof v.kind === 'string' && v.kind.endsWith('List') && Array.isArray(v.items)
}

/** The policy's key as far as it can be read from an object that failed validation. */
function rawKey(obj: unknown): string | undefined {
  const meta = (obj as { metadata?: { name?: unknown; namespace?: unknown } } | null)?.metadata
  if (typeof meta?.name !== 'string' || meta.name === '') return undefined
  return `${typeof meta.namespace === 'string' && meta.namespace !== '' ? meta.namespace : 'default'}/${meta.name}`
}

type CheckResult = 'unchanged' | 'reloaded' | 'failed'

/** Local mode: policies from a YAML file, re-read when it changes. */
export class FilePolicySource extends StoreBackedSource {
  private readonly pollIntervalMs: number
  private timer: NodeJS.Timeout | undefined
  private inFlight: Promise<CheckResult> | undefined
  private loaded = false
  private lastStat = ''
  private lastHash = ''
  private lastProblem = ''

  constructor(private readonly opts: FileSourceOptions) {
    super(opts.log)
    this.pollIntervalMs = opts.pollIntervalMs ?? 2_000
  }

  protected async firstLoad(): Promise<void> {
    const result = await this.check()
    if (result === 'failed') throw new Error(`unable to load policies: ${this.opts.file}: ${this.lastProblem}`)
    this.timer = setInterval(() => { void this.check() }, this.pollIntervalMs)
    this.timer.unref()
  }

  ready(): boolean {
    return this.loaded
  }

  async close(): Promise<void> {
    clearInterval(this.timer)
    this.timer = undefined
    await this.inFlight
    this.store.clearListeners()
  }

  /** One poll: re-reads the file when its stat changed and applies it when its content changed. */
  check(): Promise<CheckResult> {
    // Polls never overlap: a slow read is not raced by the next tick.
    this.inFlight ??= this.doCheck().finally(() => { this.inFlight = undefined })
    return this.inFlight
  }

  private async doCheck(): Promise<CheckResult> {
    const { file, log } = this.opts
    let text: string
    let statKey: string
    try {
      // Stat before reading: a write landing between the two changes the mtime again and is caught next poll.
      const st = await stat(file)
      statKey = `${st.ino}:${st.size}:${st.mtimeMs}`
      if (this.loaded && statKey === this.lastStat) return 'unchanged'
      text = await readFile(file, 'utf8')
    } catch (err) {
      return this.fail(`file not found or unreadable (${(err as NodeJS.ErrnoException).code ?? 'error'})`)
    }
    this.lastStat = statKey
    const hash = createHash('sha256').update(text).digest('hex')
    if (this.loaded && hash === this.lastHash) return 'unchanged'
    let parsed: ParsedPolicies
    try {
      parsed = parsePolicyFile(text)
    } catch (err) {
      // Remember the content: the same broken file is reported once, not on every poll.
      this.lastHash = hash
      return this.fail((err as Error).message)
    }
    this.lastHash = hash
    this.lastProblem = ''
    this.loaded = true
    for (const [policy, reason] of parsed.invalid) log.warn({ policy, file, reason }, 'invalid policy skipped')
    if (this.store.replace(parsed.valid, parsed.invalid)) {
      log.info({ file, policies: parsed.valid.size, invalid: parsed.invalid.size }, 'policies loaded')
    }
    return 'reloaded'
  }

  private fail(problem: string): CheckResult {
    if (problem !== this.lastProblem && this.loaded) {
      this.opts.log.warn({ file: this.opts.file, problem }, 'unable to reload policies; keeping the previous set')
    }
    this.lastProblem = problem
    return 'failed'
  }
}
