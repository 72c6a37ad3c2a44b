import { Agent, request } from 'node:https'

export interface PacedOptions {
  /** One URL, or the URL of the i-th request (to spread requests over many policies). */
  url: string | ((i: number) => string)
  ratePerSecond: number
  durationSeconds: number
  connections: number
  headers: Record<string, string>
  tls: { cert: string; key: string; ca: string }
}

export interface PacedResult {
  sent: number
  ok: number
  failed: number
  achievedPerSecond: number
  /** Sorted ascending, milliseconds, measured from each request's scheduled start (no coordinated omission). */
  latenciesMs: Float64Array
}

/**
 * Open-loop load at a steady rate: requests are due every 1/rate seconds whatever earlier ones are doing, and
 * latency is counted from when a request was due, so a stalled server shows up in the tail instead of slowing
 * the generator down (autocannon's rate limit sends each second's budget as one burst).
 */
export async function pacedLoad(o: PacedOptions): Promise<PacedResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: o.connections, ...o.tls })
  const total = Math.round(o.ratePerSecond * o.durationSeconds)
  const latencies = new Float64Array(total)
  let sent = 0
  let ok = 0
  let failed = 0
  let done = 0
  const start = performance.now()
  const intervalMs = 1000 / o.ratePerSecond
  const urlOf = (i: number): string => (typeof o.url === 'string' ? o.url : o.url(i))

  await new Promise<void>((resolve) => {
    const finish = (i: number, due: number, success: boolean): void => {
      latencies[i] = performance.now() - due
      if (success) ok++
      else failed++
      if (++done === total) resolve()
    }
    const fire = (i: number, due: number): void => {
      const req = request(urlOf(i), { agent, headers: o.headers }, (res) => {
        res.resume()
        res.on('end', () => finish(i, due, res.statusCode === 200))
      })
      req.on('error', () => finish(i, due, false))
      // As Go's HTTP client (kube-apiserver's) does: no Nagle delay on small writes.
      req.on('socket', (socket) => socket.setNoDelay(true))
      req.end()
    }
    const tick = (): void => {
      const now = performance.now()
      while (sent < total && start + sent * intervalMs <= now) {
        fire(sent, start + sent * intervalMs)
        sent++
      }
      if (sent < total) setTimeout(tick, 1)
    }
    tick()
  })
  const elapsedSeconds = (performance.now() - start) / 1000
  agent.destroy()
  return { sent, ok, failed, achievedPerSecond: ok / elapsedSeconds, latenciesMs: latencies.sort() }
}

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN
}
