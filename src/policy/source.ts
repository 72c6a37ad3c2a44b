import type { Policy } from './schema.js'

/** Where the engine gets its policies from: a local file, or ForesightPolicy objects in the cluster. */
export interface PolicySource {
  /** Resolves after the first successful load, or rejects with 'unable to load policies: ...'. */
  start(): Promise<void>
  /** The current valid policies, frozen. */
  list(): readonly Policy[]
  /** One valid policy by 'namespace/name'. */
  get(key: string): Policy | undefined
  /** 'namespace/name' -> why the policy was skipped, for status conditions and logs. */
  invalid(): ReadonlyMap<string, string>
  /**
   * Called after the valid or invalid set changed; returns the unsubscribe function. Status-only updates refresh
   * list() without an event, so a writer of status is not woken by its own writes.
   */
  onChange(cb: () => void): () => void
  /** True once a first load succeeded; stays true while later reloads fail, as the last good set is still served. */
  ready(): boolean
  close(): Promise<void>
}
