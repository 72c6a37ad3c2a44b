import { uint32s } from '../util/slab.js'
/**
 * The set of contexts a contextual-novelty resolution has met. A small key space keeps an exact bitmap (one bit
 * per possible context); a large one keeps a Bloom filter of a fixed size instead, because a series meets only a
 * small share of the possible contexts (on NAB, at most about 2,100 of the 65,536 paths of 4 levels out of 16 in
 * 22,700 rows). A false "seen" of the filter silences a novel context: it can only lower a score, never raise one.
 * The sets are regions of 32-bit words, so several can share one buffer (MultiResolutionContext).
 */

/** Where one set lives in a word buffer, and what it is. Shared by every buffer of the same layout. */
export interface SetRegion {
  /** First word. */
  offset: number
  /** Words held. */
  words: number
  /** A Bloom filter over the region's bits; otherwise the key is the bit index. */
  bloom: boolean
}

/** Bits probed per key: 3 is near the optimum for the 5-15 bits per met context the sizes here give. */
const BLOOM_PROBES = 3

/** A 32-bit multiply-xorshift mix of a non-negative integer key; two seeds give the two hashes of double hashing. */
function mix(key: number, seed: number): number {
  let h = Math.imul(key ^ seed, 0x9e3779b1)
  h ^= h >>> 15
  h = Math.imul(h, 0x85ebca77)
  h ^= h >>> 13
  return h >>> 0
}

/** The region's `i`-th bit for `key` (i < BLOOM_PROBES for a filter, 0 for a bitmap). */
function bitOf(r: SetRegion, key: number, i: number): number {
  if (!r.bloom) return key
  // h1 + i * h2 with h2 odd, so the probes differ; both below 2^32, so the sum stays an exact integer.
  return (mix(key, 0x243f6a88) + i * ((mix(key, 0x13198a2e) | 1) >>> 0)) % (r.words * 32)
}

/** Whether `key` is (probably, for a filter) in the set; `base` shifts the region (a second generation of sets). */
export function setHas(buf: Uint32Array, r: SetRegion, key: number, base = 0): boolean {
  const probes = r.bloom ? BLOOM_PROBES : 1
  for (let i = 0; i < probes; i++) {
    const b = bitOf(r, key, i)
    if (((buf[base + r.offset + (b >>> 5)] ?? 0) & (1 << (b & 31))) === 0) return false
  }
  return true
}

/** Adds `key` and says whether it was (probably, for a filter) already there. */
export function setTestAndAdd(buf: Uint32Array, r: SetRegion, key: number, base = 0): boolean {
  const probes = r.bloom ? BLOOM_PROBES : 1
  let known = true
  for (let i = 0; i < probes; i++) {
    const b = bitOf(r, key, i)
    const w = base + r.offset + (b >>> 5)
    const bit = 1 << (b & 31)
    const word = buf[w] ?? 0
    if ((word & bit) === 0) {
      known = false
      buf[w] = word | bit
    }
  }
  return known
}

/** An exact bitmap when it fits in `maxBytes` (or no limit is given), else a Bloom filter of `maxBytes`, at `offset`. */
export function setRegion(keySpace: number, maxBytes: number | undefined, offset = 0): SetRegion {
  if (maxBytes !== undefined && !(maxBytes >= 4)) throw new RangeError('a context set needs at least 4 bytes')
  const exactWords = Math.ceil(keySpace / 32)
  if (maxBytes === undefined || exactWords * 4 <= maxBytes) return { offset, words: exactWords, bloom: false }
  return { offset, words: Math.ceil(maxBytes / 4), bloom: true }
}

/** One set in a buffer of its own. */
export class ContextSet {
  private readonly buf: Uint32Array
  private readonly region: SetRegion

  constructor(keySpace: number, maxBytes: number | undefined) {
    this.region = setRegion(keySpace, maxBytes)
    this.buf = uint32s(this.region.words)
  }

  get bloom(): boolean {
    return this.region.bloom
  }

  get bytes(): number {
    return this.buf.byteLength
  }

  has(key: number): boolean {
    return setHas(this.buf, this.region, key)
  }

  testAndAdd(key: number): boolean {
    return setTestAndAdd(this.buf, this.region, key)
  }

  clear(): void {
    this.buf.fill(0)
  }
}
