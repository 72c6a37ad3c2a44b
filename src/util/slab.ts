/**
 * One buffer for the typed arrays of one long-lived object. Each policy's anomaly scorer and adaptation state are
 * made of a dozen small arrays; with a buffer each, 10,000 policies held 130,000 ArrayBuffer objects and 90,000
 * backing stores in the engine's worker, which every full collection there goes through (docs/benchmarks.md).
 * Inside `withSlab`, the arrays made with `float64s`, `float32s` and `uint32s` are views on one buffer sized for that
 * kind of object; outside it (and beyond the size measured) they get buffers of their own, as before.
 *
 * The size of a kind is measured the first time one is made (that one keeps separate buffers). A slab is only ever
 * reached through the views of the object it was made for, so it is freed with that object.
 */
interface Carving {
  /** Undefined while measuring. */
  buf: ArrayBuffer | undefined
  offset: number
}

let carving: Carving | undefined
const slabBytes = new Map<string, number>()

/** `make()` with its typed arrays carved out of one buffer; `kind` names objects that need the same arrays. */
export function withSlab<T>(kind: string, make: () => T): T {
  const outer = carving
  const bytes = slabBytes.get(kind)
  const c: Carving = { buf: bytes === undefined ? undefined : new ArrayBuffer(bytes), offset: 0 }
  carving = c
  try {
    const made = make()
    if (bytes === undefined) slabBytes.set(kind, c.offset)
    return made
  } finally {
    carving = outer
  }
}

/** Where the next `bytes` go in the current slab; undefined for a buffer of its own. */
function carve(bytes: number): { buf: ArrayBuffer; at: number } | undefined {
  const c = carving
  if (c === undefined) return undefined
  const at = c.offset
  // Kept at multiples of 8, so a Float64Array may follow any array.
  c.offset += Math.ceil(bytes / 8) * 8
  return c.buf !== undefined && c.offset <= c.buf.byteLength ? { buf: c.buf, at } : undefined
}

export function float64s(length: number): Float64Array {
  const c = carve(length * 8)
  return c === undefined ? new Float64Array(length) : new Float64Array(c.buf, c.at, length)
}

export function float32s(length: number): Float32Array {
  const c = carve(length * 4)
  return c === undefined ? new Float32Array(length) : new Float32Array(c.buf, c.at, length)
}

export function uint32s(length: number): Uint32Array {
  const c = carve(length * 4)
  return c === undefined ? new Uint32Array(length) : new Uint32Array(c.buf, c.at, length)
}
