import type { Test } from 'tap'
import type { Suite } from '../e2e.test.js'
export async function failoverSuite(_t: Test, _suite: Suite, _c: unknown): Promise<void> {}
