/** Bounds the queries in flight against one Prometheus, so a refresh of many policies cannot flood it. */
export class ConcurrencyLimit {
  private active = 0
  private readonly waiting: Array<() => void> = []

  constructor(readonly maxInFlight: number) {
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1) throw new RangeError(`maxInFlight must be a positive integer, got ${maxInFlight}`)
  }

  get inFlight(): number {
    return this.active
  }

  get queued(): number {
    return this.waiting.length
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.maxInFlight) await new Promise<void>((resolve) => this.waiting.push(resolve))
    else this.active++
    try {
      return await task()
    } finally {
      // The slot passes straight to the next waiter, so `active` never dips and lets a newcomer jump the queue.
      const next = this.waiting.shift()
      if (next !== undefined) next()
      else this.active--
    }
  }
}
