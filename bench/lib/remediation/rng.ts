// Counter-based randomness: every draw is a hash of (seed, keys), not the next value of a stream. Two runs of the
// same scenario under different strategies diverge as soon as one restarts a pod the other keeps; with keyed draws
// a pod that exists in both runs still sees the same traffic, errors and latency minute by minute, so the
// strategies are compared on the same signals rather than on different luck.

function mix(h: number, x: number): number {
  // A 52-bit key folds in as two 32-bit halves so minute indices and epoch times stay distinct.
  const lo = x >>> 0
  const hi = Math.floor(x / 4_294_967_296) >>> 0
  for (const v of [lo, hi]) {
    h = Math.imul(h ^ v, 0x85ebca6b)
    h ^= h >>> 13
    h = Math.imul(h, 0xc2b2ae35)
    h ^= h >>> 16
  }
  return h >>> 0
}

/** A uniform draw in [0, 1) determined by the seed and the keys alone. */
export function uniform(seed: number, ...keys: readonly number[]): number {
  let h = mix(0x9e3779b9, seed)
  for (const k of keys) h = mix(h, k)
  h = mix(h, keys.length)
  return h / 4_294_967_296
}

/** A standard normal draw (Box-Muller over two keyed uniforms). */
export function normal(seed: number, ...keys: readonly number[]): number {
  const u = Math.max(uniform(seed, ...keys, 1), 1e-12)
  const v = uniform(seed, ...keys, 2)
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
}

/** Poisson draw: exact (inversion) for small means, the normal approximation above 40. */
export function poisson(mean: number, seed: number, ...keys: readonly number[]): number {
  if (!(mean > 0)) return 0
  if (mean > 40) return Math.max(0, Math.round(mean + Math.sqrt(mean) * normal(seed, ...keys)))
  const u = uniform(seed, ...keys, 3)
  let k = 0
  let p = Math.exp(-mean)
  let cdf = p
  while (u > cdf && k < 1000) {
    k++
    p *= mean / k
    cdf += p
  }
  return k
}

/** Binomial draw: Poisson for rare events, the normal approximation when both tails are wide, inversion otherwise. */
export function binomial(n: number, p: number, seed: number, ...keys: readonly number[]): number {
  if (n <= 0 || !(p > 0)) return 0
  if (p >= 1) return n
  const mean = n * p
  if (p < 0.05 && mean < 40) return Math.min(n, poisson(mean, seed, ...keys))
  if (mean > 20 && n * (1 - p) > 20) return Math.min(n, Math.max(0, Math.round(mean + Math.sqrt(mean * (1 - p)) * normal(seed, ...keys))))
  const u = uniform(seed, ...keys, 4)
  let k = 0
  let prob = Math.pow(1 - p, n)
  let cdf = prob
  while (u > cdf && k < n) {
    prob *= ((n - k) / (k + 1)) * (p / (1 - p))
    k++
    cdf += prob
  }
  return k
}

/** An integer in [lo, hi]. */
export function intBetween(lo: number, hi: number, seed: number, ...keys: readonly number[]): number {
  return lo + Math.floor(uniform(seed, ...keys) * (hi - lo + 1))
}

/** A value in [lo, hi). */
export function between(lo: number, hi: number, seed: number, ...keys: readonly number[]): number {
  return lo + uniform(seed, ...keys) * (hi - lo)
}
