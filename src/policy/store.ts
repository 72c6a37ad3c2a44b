import type { Logger } from 'pino'
import { policyKey, type Policy } from './schema.js'
import { deepFreeze } from '../util/freeze.js'

/**
 * The state both sources share: frozen valid policies, reasons for the invalid ones, and change listeners that
 * fire only when something actually changed, so a re-read of an unchanged file or a re-list costs consumers nothing.
 */
export class PolicyStore {
  private valid = new Map<string, Policy>()
  private rejected = new Map<string, string>()
  private listCache: readonly Policy[] = Object.freeze([])
  private invalidCache: ReadonlyMap<string, string> = new Map()
  private readonly listeners = new Set<() => void>()

  constructor(private readonly log: Logger) {}

  list(): readonly Policy[] {
    return this.listCache
  }

  invalid(): ReadonlyMap<string, string> {
    return this.invalidCache
  }

  get(key: string): Policy | undefined {
    return this.valid.get(key)
  }

  onChange(cb: () => void): () => void {
    this.listeners.add(cb)
    return () => { this.listeners.delete(cb) }
  }

  clearListeners(): void {
    this.listeners.clear()
  }

  /** Swaps in a whole new state at once: consumers never see a half-applied set. */
  replace(valid: ReadonlyMap<string, Policy>, invalid: ReadonlyMap<string, string>): boolean {
    const nextValid = new Map([...valid].map(([k, p]) => [k, deepFreeze(p)]))
    const changed = !sameEntries(this.valid, nextValid) || !sameEntries(this.rejected, invalid)
    if (!changed) return false
    this.valid = nextValid
    this.rejected = new Map(invalid)
    this.publish()
    return true
  }

  /**
   * Adds or updates one policy. An update that only touches status or bookkeeping metadata is stored silently:
   * otherwise every status write of the engine would come back through the watch as a change to react to.
   */
  upsert(policy: Policy): boolean {
    const key = policyKey(policy)
    const wasInvalid = this.rejected.delete(key)
    const old = this.valid.get(key)
    this.valid.set(key, deepFreeze(policy))
    if (!wasInvalid && old !== undefined && same(significant(old), significant(policy))) {
      this.listCache = Object.freeze([...this.valid.values()])
      return false
    }
    this.publish()
    return true
  }

  reject(key: string, reason: string): boolean {
    const hadValid = this.valid.delete(key)
    if (!hadValid && this.rejected.get(key) === reason) return false
    this.rejected.set(key, reason)
    this.publish()
    return true
  }

  remove(key: string): boolean {
    const removed = this.valid.delete(key)
    const removedInvalid = this.rejected.delete(key)
    if (!removed && !removedInvalid) return false
    this.publish()
    return true
  }

  private publish(): void {
    this.listCache = Object.freeze([...this.valid.values()])
    this.invalidCache = new Map(this.rejected)
    for (const cb of [...this.listeners]) {
      try {
        cb()
      } catch (err) {
        // One failing consumer must not stop the others from hearing about the change.
        this.log.error({ err }, 'policy change listener failed')
      }
    }
  }
}

function significant(p: Policy): unknown {
  const metadata = Object.fromEntries(Object.entries(p.metadata).filter(([k]) => k !== 'resourceVersion' && k !== 'managedFields'))
  return { metadata, spec: p.spec }
}

function same(a: unknown, b: unknown): boolean {
  return a !== undefined && JSON.stringify(a) === JSON.stringify(b)
}

function sameEntries<V>(a: ReadonlyMap<string, V>, b: ReadonlyMap<string, V>): boolean {
  if (a.size !== b.size) return false
  for (const [k, v] of a) if (!b.has(k) || !(v === b.get(k) || same(v, b.get(k)))) return false
  return true
}

