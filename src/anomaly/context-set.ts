/**
 * The set of contexts a contextual-novelty resolution has met. A small key space keeps an exact bitmap (one bit
 * per possible context); a large one keeps a Bloom filter of a fixed size instead, because a series meets only a
 * small share of the possible contexts (on NAB, at most about 2,100 of the 65,536 paths of 4 levels out of 16 in
 * 22,700 rows). A false "seen" of the filter silences a novel context: it can only lower a score, never raise one.
 */
export interface ContextSet {
  /** Adds `key` and says whether it was (probably, for a filter) already there. */
  testAndAdd: (key: number) => boolean
  /** Whether `key` is (probably) there, without adding it. */
  has: (key: number) => boolean
  clear: () => void
  /** Bytes of the set's buffer. */
  readonly bytes: number
}

/** One bit per key in [0, keySpace). */
export class BitmapSet implements ContextSet {
  private readonly bits: Uint8Array

  constructor(keySpace: number) {
    this.bits = new Uint8Array(Math.ceil(keySpace / 8))
  }

  get bytes(): number {
    return this.bits.length
  }

  has(key: number): boolean {
    return ((this.bits[key >> 3] ?? 0) & (1 << (key & 7))) !== 0
  }

  testAndAdd(key: number): boolean {
    const known = this.has(key)
    this.bits[key >> 3] = (this.bits[key >> 3] ?? 0) | (1 << (key & 7))
    return known
  }

  clear(): void {
    this.bits.fill(0)
  }
}

/** Bits probed per key: 3 is near the optimum for the 5-15 bits per met context the sizes here give. */
const BLOOM_PROBES = 3

/** Two independent 32-bit mixes of a non-negative integer key (multiply-xorshift), for double hashing. */
function mix(key: number, seed: number): number {
  let h = Math.imul(key ^ seed, 0x9e3779b1)
  h ^= h >>> 15
  h = Math.imul(h, 0x85ebca77)
  h ^= h >>> 13
  return h >>> 0
}

/** A Bloom filter over `bytes` bytes (rounded up to a whole number of 32-bit words). */
export class BloomSet implements ContextSet {
  private readonly words: Uint32Array
  private readonly size: number

  constructor(bytes: number) {
    if (!(bytes >= 4)) throw new RangeError('a Bloom filter needs at least 4 bytes')
    this.words = new Uint32Array(Math.ceil(bytes / 4))
    this.size = this.words.length * 32
  }

  get bytes(): number {
    return this.words.byteLength
  }

  private probe(key: number, i: number): number {
    // Double hashing: h1 + i * h2, h2 odd so the probes differ.
    return (mix(key, 0x243f6a88) + i * ((mix(key, 0x13198a2e) | 1) >>> 0)) % this.size
  }

  has(key: number): boolean {
    for (let i = 0; i < BLOOM_PROBES; i++) {
      const b = this.probe(key, i)
      if (((this.words[b >>> 5] ?? 0) & (1 << (b & 31))) === 0) return false
    }
    return true
  }

  testAndAdd(key: number): boolean {
    let known = true
    for (let i = 0; i < BLOOM_PROBES; i++) {
      const b = this.probe(key, i)
      const w = this.words[b >>> 5] ?? 0
      const bit = 1 << (b & 31)
      if ((w & bit) === 0) {
        known = false
        this.words[b >>> 5] = w | bit
      }
    }
    return known
  }

  clear(): void {
    this.words.fill(0)
  }
}

/** An exact bitmap when it fits in `maxBytes` (or no limit is given), else a Bloom filter of `maxBytes`. */
export function contextSet(keySpace: number, maxBytes: number | undefined): ContextSet {
  return maxBytes === undefined || Math.ceil(keySpace / 8) <= maxBytes ? new BitmapSet(keySpace) : new BloomSet(maxBytes)
}
