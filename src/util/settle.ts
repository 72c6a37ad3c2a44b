type Settled<T> = { ok: true; value: T } | { ok: false; reason: string }

/**
 * Runs a cluster lookup under a deadline and never rejects: the apiserver gives the whole review a few seconds,
 * so a slow lookup must turn into "unknown" well before that, whatever the implementation does with its own timeout.
 */
export async function settle<T>(run: () => Promise<T>, timeoutMs: number): Promise<Settled<T>> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<Settled<T>>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, reason: `timed out after ${timeoutMs} ms` }), timeoutMs)
  })
  const attempt = (async (): Promise<Settled<T>> => {
    try {
      return { ok: true, value: await run() }
    } catch (err) {
      return { ok: false, reason: err instanceof Error ? err.message : String(err) }
    }
  })()
  try {
    return await Promise.race([attempt, deadline])
  } finally {
    clearTimeout(timer)
  }
}
