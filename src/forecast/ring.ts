import { float64s } from '../util/slab.js'
/** Fixed-capacity history of the most recent values, addressed by lag (0 = newest). */
export class Ring {
  private readonly buf: Float64Array
  private head = 0
  private filled = 0

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError('ring capacity must be >= 1')
    this.buf = float64s(capacity)
  }

  push(value: number): void {
    this.buf[this.head] = value
    this.head = (this.head + 1) % this.capacity
    if (this.filled < this.capacity) this.filled++
  }

  get length(): number {
    return this.filled
  }

  /** Value `lagSteps` before the newest; NaN when not held. */
  at(lagSteps: number): number {
    if (lagSteps < 0 || lagSteps >= this.filled) return NaN
    return this.buf[(this.head - 1 - lagSteps + 2 * this.capacity) % this.capacity] ?? NaN
  }

  /** The newest `count` values, oldest first. */
  last(count: number): Float64Array {
    const n = Math.min(count, this.filled)
    const out = new Float64Array(n)
    for (let i = 0; i < n; i++) out[i] = this.at(n - 1 - i)
    return out
  }
}
