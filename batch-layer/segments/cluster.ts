/**
 * k-means over the listeners' features (ml-kmeans, k-means++ seeded), deterministic for a seed: the input is in
 * user_id order, features are standardized (skewed counts through log1p first), and segments are numbered by size
 * (ties by centroid), so the same features and seed always give the same segments. Each segment is named from its
 * centroid in standard units (docs/ARCHITECTURE.md#segments).
 */
import { kmeans } from 'ml-kmeans'
import { SEGMENT_FEATURES, type SegmentFeature, type SegmentValues } from '../../shared/segments.ts'

export interface Clustering {
  /** Segment of each input row. */
  assignment: number[]
  /** Per segment: size, raw-unit centroid, and name. */
  segments: Array<{
    size: number
    centroid: SegmentValues
    z: SegmentValues
    name: string
  }>
}

const LOG_FEATURES: ReadonlySet<SegmentFeature> = new Set([
  'plays_per_active_day',
  'distinct_artists',
  'days_since_last_play',
])
/**
 * Features that describe a listener's habits and so place them, never null (shared/segments.ts). Days since the last
 * play is recency (where a listener is in their life cycle, for filtering a segment) and premium an account
 * attribute, not habits: both are reported per segment but do not cluster (a 0/1 column would split every habit's
 * segment by tier).
 */
const UNCLUSTERED: ReadonlySet<SegmentFeature> = new Set(['days_since_last_play', 'premium'])
const CLUSTERED: readonly number[] = SEGMENT_FEATURES.flatMap((f, j) => (UNCLUSTERED.has(f) ? [] : [j]))
/** How far (in standard deviations) a centroid must stand out for a word of its name. */
const NOTABLE = 0.5

type Value = number | null

/** Mean of the known (non-null) values of column j over `members`; null when none is known. */
function meanKnown(m: ReadonlyArray<readonly Value[]>, members: readonly number[], j: number): Value {
  let sum = 0
  let known = 0
  for (const i of members) {
    const v = m[i]![j]!
    if (v === null) continue
    sum += v
    known++
  }
  return known === 0 ? null : sum / known
}

/** `rows`: per listener the SEGMENT_FEATURES in order, null where unknown (only unclustered features may be). */
export function clusterListeners(rows: ReadonlyArray<readonly Value[]>, k: number, seed: number): Clustering {
  const n = rows.length
  if (n === 0) return { assignment: [], segments: [] }
  const kk = Math.min(k, n)
  const d = SEGMENT_FEATURES.length
  const x = rows.map((r) => r.map((v, j) => (v !== null && LOG_FEATURES.has(SEGMENT_FEATURES[j]!) ? Math.log1p(v) : v)))
  const mean: number[] = []
  const sd: number[] = []
  for (let j = 0; j < d; j++) {
    const col = x.flatMap((r) => (r[j] === null ? [] : [r[j]!]))
    const m = col.reduce((s, v) => s + v, 0) / Math.max(1, col.length)
    mean.push(m)
    sd.push(Math.sqrt(col.reduce((s, v) => s + (v - m) ** 2, 0) / Math.max(1, col.length)) || 1)
  }
  const z = x.map((r) => r.map((v, j) => (v === null ? null : (v - mean[j]!) / sd[j]!)))
  const points = z.map((r) => CLUSTERED.map((j) => r[j]!))
  const result = kmeans(points, kk, { seed, initialization: 'kmeans++', maxIterations: 300 })
  const groups = Array.from({ length: kk }, (_, c) => ({ c, members: [] as number[] }))
  result.clusters.forEach((c, i) => groups[c]!.members.push(i))
  const avg = (members: number[], m: ReadonlyArray<readonly Value[]>): Value[] =>
    Array.from({ length: d }, (_, j) => meanKnown(m, members, j))
  const described = groups
    .filter((g) => g.members.length > 0)
    .map((g) => ({ ...g, z: avg(g.members, z), raw: avg(g.members, rows) }))
  described.sort((a, b) => b.members.length - a.members.length || compare(a.z, b.z))
  const assignment = new Array<number>(n)
  described.forEach((g, s) => {
    for (const i of g.members) assignment[i] = s
  })
  const names = new Map<string, number>()
  const segments = described.map((g) => {
    const zr = record(g.z)
    let name = nameOf(zr)
    const seen = names.get(name) ?? 0
    names.set(name, seen + 1)
    if (seen > 0) name = `${name} ${seen + 1}`
    return { size: g.members.length, centroid: record(g.raw), z: zr, name }
  })
  return { assignment, segments }
}

function record(v: Value[]): SegmentValues {
  return Object.fromEntries(SEGMENT_FEATURES.map((f, j) => [f, v[j]!])) as SegmentValues
}

function compare(a: Value[], b: Value[]): number {
  for (let j = 0; j < a.length; j++) if (a[j] !== null && b[j] !== null && a[j] !== b[j]) return a[j]! - b[j]!
  return 0
}

/** "heavy night listeners", "skippers", "light listeners", "lapsing completionists", ... */
export function nameOf(z: SegmentValues): string {
  const words: string[] = []
  if (z.days_since_last_play > NOTABLE) words.push('lapsing')
  if (z.plays_per_active_day > NOTABLE) words.push('heavy')
  else if (z.plays_per_active_day < -NOTABLE) words.push('light')
  if (z.night_share > NOTABLE) words.push('night')
  const nouns: Array<[number, string]> = [
    [z.skip_rate, 'skippers'],
    [z.complete_share, 'completionists'],
    [z.distinct_artists, 'explorers'],
  ]
  const [score, noun] = nouns.sort((a, b) => b[0] - a[0])[0]!
  words.push(score > NOTABLE ? noun : 'listeners')
  return words.join(' ')
}
