import type { Logger } from 'pino'
import type { EventInput } from '../kube/events.js'
import { GROUP, KIND, VERSION } from '../policy/schema.js'
import { EMPTY_TRACK, decideEvent, observeChange, type ReasonChange, type ReasonTrack } from './reason-events.js'

// Sends the Events reason-events.ts decides on, for every policy the status writer saw change. Runs on the main
// thread after the status writes of a round, never on the request path; a failed event is tried again next round.

export interface PolicyObject { namespace: string; name: string; uid?: string }

interface Tracked { ref: PolicyObject; track: ReasonTrack }

interface ReasonEventsOptions {
  emit: (e: EventInput) => Promise<boolean>
  log: Logger
  /** At most one event per policy this often; changes in between are summed up in the next. */
  minIntervalMs?: number
  /** Events sent per round at most, so a mass failure does not flood the apiserver; the rest wait. */
  maxPerRound?: number
}

export class ReasonEvents {
  private readonly tracks = new Map<string, Tracked>()
  private readonly minIntervalMs: number
  private readonly maxPerRound: number

  constructor(private readonly o: ReasonEventsOptions) {
    this.minIntervalMs = o.minIntervalMs ?? 60_000
    this.maxPerRound = o.maxPerRound ?? 20
  }

  /** A change the status write of `key` just made. */
  observe(key: string, ref: PolicyObject, change: ReasonChange): void {
    const cur = this.tracks.get(key)
    // A policy re-created under the same name is a new object: its history does not carry over.
    const track = cur !== undefined && cur.ref.uid === ref.uid ? cur.track : EMPTY_TRACK
    this.tracks.set(key, { ref, track: observeChange(track, change) })
  }

  /** Sends the events due now; resolves with how many were sent. Never rejects. */
  async flush(nowMs: number): Promise<number> {
    let sent = 0
    for (const [key, t] of this.tracks) {
      if (sent >= this.maxPerRound) break
      const { next, event } = decideEvent(t.track, nowMs, this.minIntervalMs)
      if (event === undefined) {
        t.track = next
        continue
      }
      const ok = await this.o.emit({
        regarding: { apiVersion: `${GROUP}/${VERSION}`, kind: KIND, ...t.ref },
        reason: event.reason,
        action: 'Serve',
        note: event.note,
        type: event.type,
      })
      if (ok) {
        sent++
        t.track = next
        this.o.log.info({ policy: key, reason: event.reason, from: event.from, changes: event.changes }, 'served reason changed: event recorded')
      }
    }
    return sent
  }

  /** Drops policies not in `keys` (deleted ones). */
  forget(keys: ReadonlySet<string>): void {
    for (const k of [...this.tracks.keys()]) if (!keys.has(k)) this.tracks.delete(k)
  }

  get tracked(): number {
    return this.tracks.size
  }
}
