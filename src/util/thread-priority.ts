/**
 * Scheduling priority of this process's threads. On Linux every thread is a task with its own nice value, so the
 * thread that answers the API can be put ahead of the ones whose work can wait a few milliseconds: the engine's
 * worker (a refresh of thousands of policies) and V8's platform threads, which run the parallel part of every
 * isolate's garbage collection (the worker's collection after each refresh runs mostly on them). On a node with
 * two cores these otherwise take the CPU from the API thread while a request waits. Raising a nice value needs no
 * privilege; nothing here ever lowers one. Elsewhere (no /proc) the functions do nothing.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { getPriority, setPriority } from 'node:os'

/** Nice value of the engine's worker and V8's platform threads: well behind the API thread, still scheduled. */
export const BACKGROUND_NICE = 10

/** The calling thread's kernel id, or undefined where /proc/thread-self is not there. */
export function currentThreadId(): number | undefined {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').at(-1))
    return Number.isInteger(tid) && tid > 0 ? tid : undefined
  } catch {
    return undefined
  }
}

/** Raises thread `tid`'s nice value to `nice` unless it is already at least that. False when it could not. */
export function lowerThreadPriority(tid: number, nice: number): boolean {
  try {
    if (getPriority(tid) >= nice) return true
    setPriority(tid, nice)
    return true
  } catch {
    return false
  }
}

/** The calling thread (the engine's worker calls it on start). */
export function lowerCurrentThreadPriority(nice = BACKGROUND_NICE): boolean {
  const tid = currentThreadId()
  return tid !== undefined && lowerThreadPriority(tid, nice)
}

/** V8's platform threads of this process (named V8Worker by Node); returns how many now run at `nice` or lower priority. */
export function lowerV8PlatformPriority(nice = BACKGROUND_NICE): number {
  let done = 0
  let tasks: string[]
  try {
    tasks = readdirSync('/proc/self/task')
  } catch {
    return 0
  }
  for (const t of tasks) {
    try {
      if (readFileSync(`/proc/self/task/${t}/comm`, 'utf8').trim() !== 'V8Worker') continue
      if (lowerThreadPriority(Number(t), nice)) done++
    } catch {
      // The thread ended while being read: nothing to do for it.
    }
  }
  return done
}
