import type { ResultReason } from '../names.js'
import { FAILURE_REASONS } from './fallback.js'

// When a change of a policy's served reason (Predicted -> StaleValue -> Fallback and back, ColdStart, NoData)
// becomes an Event. Pure: the state of one policy goes in, the next state and at most one event come out.
//
// - One event per change, announcing the reason served now and the one before it.
// - At most one event per policy per minIntervalMs: changes in between are counted, and the next event names
//   the reason served then and how many changes it sums up (a flapping data source makes one event a minute,
//   not one per refresh).
// - A policy that went back to the reason last announced gets no event; its changes are carried into the next.

/** A change of the served reason as the status write saw it: from what the status said before the write. */
export interface ReasonChange {
  /** Undefined when the status had no reason yet (a new policy, or one written by an older version). */
  from?: ResultReason
  to: ResultReason
  atMs: number
  /** The engine's account of the value, e.g. "forecast peak 120 needs 4". */
  message: string
  desiredReplicas?: number
}

/** What one policy's events depend on. */
export interface ReasonTrack {
  /** The reason the last event announced, and when; undefined until this process sent one. */
  announced?: { reason: ResultReason; atMs: number }
  /** Changes seen since the last event. */
  pending: number
  /** The reason before the first change not yet announced (used while nothing was announced). */
  from?: ResultReason
  /** The newest change not yet announced. */
  latest?: ReasonChange
}

export interface ReasonEvent {
  /** The event's reason: the served reason now. */
  reason: ResultReason
  type: 'Normal' | 'Warning'
  from?: ResultReason
  /** How many changes this event sums up (1 unless the interval held some back). */
  changes: number
  note: string
}

export const EMPTY_TRACK: ReasonTrack = Object.freeze({ pending: 0 })

/** Records a change; nothing is decided yet. */
export function observeChange(track: ReasonTrack, change: ReasonChange): ReasonTrack {
  if (change.from === change.to) return track
  return {
    ...track,
    pending: track.pending + 1,
    ...(track.pending === 0 && change.from !== undefined ? { from: change.from } : {}),
    latest: change,
  }
}

/**
 * The event due now, if any, and the state once it is sent. The caller keeps `track` when the event could not
 * be sent, so it is tried again; `next` without an event is always safe to keep.
 */
export function decideEvent(track: ReasonTrack, nowMs: number, minIntervalMs: number): { next: ReasonTrack; event?: ReasonEvent } {
  const latest = track.latest
  if (track.pending === 0 || latest === undefined) return { next: track }
  if (track.announced !== undefined && nowMs - track.announced.atMs < minIntervalMs) return { next: track }
  const from = track.announced?.reason ?? track.from
  // Back where the last event (or the status before any) left it: nothing new to announce; the changes go into
  // the next event's count.
  if (from === latest.to) return { next: track }
  const event: ReasonEvent = {
    reason: latest.to,
    type: FAILURE_REASONS.has(latest.to) ? 'Warning' : 'Normal',
    ...(from !== undefined && from !== latest.to ? { from } : {}),
    changes: track.pending,
    note: noteOf(latest, from, track.pending),
  }
  return { next: { announced: { reason: latest.to, atMs: nowMs }, pending: 0 }, event }
}

function noteOf(c: ReasonChange, from: ResultReason | undefined, changes: number): string {
  const serving = c.desiredReplicas !== undefined ? `serving ${c.desiredReplicas} replicas (${c.to})` : `serving nothing (${c.to}): the HPA keeps the current count`
  const was = from !== undefined && from !== c.to ? `was ${from}` : undefined
  const count = changes > 1 ? `${changes} changes since the last event` : undefined
  const tail = [was, count].filter((x) => x !== undefined).join('; ')
  return `${serving}: ${c.message}${tail !== '' ? ` [${tail}]` : ''}`
}
