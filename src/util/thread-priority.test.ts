import { readFileSync, readdirSync } from 'node:fs'
import { Worker } from 'node:worker_threads'
import { once } from 'node:events'
import t from 'tap'
import { lowerThreadPriority } from './thread-priority.js'

/** Field 19 of /proc/<pid>/task/<tid>/stat: the nice value the kernel schedules the thread with. */
const niceOf = (tid: number): number => Number(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]?.split(' ')[16])
const linux = (() => { try { readdirSync('/proc/self/task'); return true } catch { return false } })()

t.test('lowerCurrentThreadPriority and lowerV8PlatformPriority set the kernel\'s nice value; nothing is ever raised back', { skip: linux ? false : 'needs /proc' }, async (t) => {
  // In a worker, so the test runner's own main thread keeps its priority.
  const w = new Worker(new URL('../../test/helpers/thread-priority-worker.ts', import.meta.url), { execArgv: process.execArgv })
  const [r] = (await once(w, 'message')) as [{ tid: number; ok: boolean; v8: number; again: boolean }]
  t.ok(r.ok)
  t.equal(niceOf(r.tid), 10, 'the calling thread at nice 10')
  t.ok(r.v8 > 0, `V8's platform threads lowered: ${r.v8}`)
  for (const task of readdirSync('/proc/self/task')) {
    if (readFileSync(`/proc/self/task/${task}/comm`, 'utf8').trim() === 'V8Worker') t.ok(niceOf(Number(task)) >= 10, `V8Worker ${task} at nice >= 10`)
  }
  t.ok(r.again, 'asking for a higher priority than the thread has keeps the lower one and succeeds')
  await w.terminate()
  t.notOk(lowerThreadPriority(2 ** 30, 10), 'a thread that does not exist: false, no throw')
})
