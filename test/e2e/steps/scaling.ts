import type { Test } from 'tap'
import type { Suite } from '../e2e.test.js'
export async function scalingSuite(_t: Test, _suite: Suite): Promise<void> {}
