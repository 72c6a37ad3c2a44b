import { float64s } from '../util/slab.js'
/**
 * Maximum of the last `capacity` pushed values in O(1) amortised time (monotonic deque), so the detectors can
 * compare against long histories at a few nanoseconds per row. The deque only holds values that could still
 * be the maximum, usually a handful, so its storage starts small and grows on demand: the serving engine keeps
 * one per policy.
 */
export class WindowMax {
  private values = float64s(8)
  private positions = float64s(8)
  private head = 0
  private size = 0
  private pushed = 0

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError('window capacity must be >= 1')
  }

  /** Largest of the last `capacity` values; -Infinity before the first push. */
  max(): number {
    return this.size > 0 ? (this.values[this.head] ?? -Infinity) : -Infinity
  }

  push(value: number): void {
    // Older values not above the newcomer can never be the maximum again.
    while (this.size > 0 && (this.values[(this.head + this.size - 1) % this.values.length] ?? Infinity) <= value) this.size--
    if (this.size > 0 && (this.positions[this.head] ?? 0) <= this.pushed - this.capacity) {
      this.head = (this.head + 1) % this.values.length
      this.size--
    }
    if (this.size === this.values.length) this.grow()
    const slot = (this.head + this.size) % this.values.length
    this.values[slot] = value
    this.positions[slot] = this.pushed
    this.size++
    this.pushed++
  }

  private grow(): void {
    const n = this.values.length
    const values = new Float64Array(2 * n)
    const positions = new Float64Array(2 * n)
    for (let i = 0; i < this.size; i++) {
      values[i] = this.values[(this.head + i) % n] ?? 0
      positions[i] = this.positions[(this.head + i) % n] ?? 0
    }
    this.values = values
    this.positions = positions
    this.head = 0
  }
}
