// Cleaning a fetched window before it reaches the model: short gaps are bridged, long ones are not invented.

/** Linear interpolation across interior runs of NaN no longer than `maxGapSteps`; returns the number left. */
export function bridgeGaps(values: Float64Array, maxGapSteps: number): number {
  let missing = 0
  let i = 0
  while (i < values.length) {
    if (Number.isFinite(values[i])) { i++; continue }
    let j = i
    while (j < values.length && !Number.isFinite(values[j])) j++
    const before = values[i - 1]
    const after = values[j]
    const gap = j - i
    if (before !== undefined && after !== undefined && Number.isFinite(before) && Number.isFinite(after) && gap <= maxGapSteps) {
      for (let k = i; k < j; k++) values[k] = before + ((after - before) * (k - i + 1)) / (gap + 1)
    } else {
      missing += gap
    }
    i = j
  }
  return missing
}

/** The newest finite value within the last `withinSteps` rows, and how many rows back it is. */
export function latestFinite(values: Float64Array, withinSteps: number): { value: number; age: number } | undefined {
  for (let age = 0; age < Math.min(withinSteps, values.length); age++) {
    const v = values[values.length - 1 - age]
    if (v !== undefined && Number.isFinite(v)) return { value: v, age }
  }
  return undefined
}

/** Carries the newest finite value forward over a missing tail (a scrape that has not landed yet). */
export function fillTail(values: Float64Array, maxSteps: number): boolean {
  let end = values.length - 1
  while (end >= 0 && !Number.isFinite(values[end])) end--
  if (end < 0 || values.length - 1 - end > maxSteps) return false
  const v = values[end] ?? NaN
  for (let k = end + 1; k < values.length; k++) values[k] = v
  return true
}
