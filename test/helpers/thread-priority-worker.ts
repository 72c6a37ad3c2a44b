// Run as a worker by src/util/thread-priority.test.ts: lowers its own thread and V8's platform threads, reports them.
import { parentPort } from 'node:worker_threads'
import { getPriority } from 'node:os'
import { currentThreadId, lowerCurrentThreadPriority, lowerThreadPriority, lowerV8PlatformPriority } from '../../src/util/thread-priority.js'

const ok = lowerCurrentThreadPriority(10)
const tid = currentThreadId() ?? 0
const v8 = lowerV8PlatformPriority(10)
const again = lowerThreadPriority(tid, 5) && getPriority(tid) === 10
parentPort?.postMessage({ tid, ok, v8, again })
setTimeout(() => {}, 1000)
