/**
 * The longest the event loop was held between start and stop(): the largest gap between ticks of a 2 ms interval,
 * less the interval. perf_hooks' monitorEventLoopDelay was tried first and missed whole synchronous runs of
 * onnxruntime that this sees.
 */
export function stallMeter(): { stop: () => number } {
  const everyMs = 2
  let last = performance.now()
  let worst = 0
  const timer = setInterval(() => {
    const now = performance.now()
    worst = Math.max(worst, now - last - everyMs)
    last = now
  }, everyMs)
  return {
    stop: (): number => {
      clearInterval(timer)
      return Math.max(worst, performance.now() - last - everyMs, 0)
    },
  }
}
