/** Every ArrayBuffer an object's typed arrays sit on, however deep (own enumerable properties, private fields included). */
export function buffersOf(root: unknown): Set<ArrayBufferLike> {
  const out = new Set<ArrayBufferLike>()
  const seen = new Set<unknown>()
  const walk = (v: unknown): void => {
    if (v === null || typeof v !== 'object' || seen.has(v)) return
    seen.add(v)
    if (ArrayBuffer.isView(v)) {
      out.add(v.buffer)
      return
    }
    for (const x of Object.values(v)) walk(x)
  }
  walk(root)
  return out
}
