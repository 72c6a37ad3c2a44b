import type { Logger } from 'pino'
import type { Policy } from './schema.js'
import type { PolicySource } from './source.js'
import { PolicyStore } from './store.js'

/**
 * What the file and the cluster sources share: the store they serve from, and a start that loads once however
 * often it is called, and can be called again after it failed.
 */
export abstract class StoreBackedSource implements PolicySource {
  protected readonly store: PolicyStore
  private starting: Promise<void> | undefined

  constructor(log: Logger) {
    this.store = new PolicyStore(log)
  }

  /** The first successful load; rejects with 'unable to load policies: ...'. */
  protected abstract firstLoad(): Promise<void>
  abstract ready(): boolean
  abstract close(): Promise<void>

  start(): Promise<void> {
    this.starting ??= this.firstLoad().catch((err: unknown) => {
      this.starting = undefined
      throw err
    })
    return this.starting
  }

  list(): readonly Policy[] {
    return this.store.list()
  }

  get(key: string): Policy | undefined {
    return this.store.get(key)
  }

  invalid(): ReadonlyMap<string, string> {
    return this.store.invalid()
  }

  onChange(cb: () => void): () => void {
    return this.store.onChange(cb)
  }
}
