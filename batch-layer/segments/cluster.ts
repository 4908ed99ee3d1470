/**
 * k-means over the listeners' features (ml-kmeans, k-means++ seeded), deterministic for a seed: the input is in
 * user_id order, features are standardized (skewed counts through log1p first), and segments are numbered by size
 * (ties by centroid), so the same features and seed always give the same segments. Each segment is named from its
 * centroid in standard units (docs/ARCHITECTURE.md#segments).
 */
import { kmeans } from 'ml-kmeans'
import { SEGMENT_FEATURES, type SegmentFeature } from '../../shared/segments.ts'

export interface Clustering {
  /** Segment of each input row. */
  assignment: number[]
  /** Per segment: size, raw-unit centroid, and name. */
  segments: Array<{
    size: number
    centroid: Record<SegmentFeature, number>
    z: Record<SegmentFeature, number>
    name: string
  }>
}

const LOG_FEATURES: ReadonlySet<SegmentFeature> = new Set([
  'plays_per_active_day',
  'distinct_artists',
  'days_since_last_play',
])
/**
 * Features that describe a listener's habits and so place them: days since the last play is recency (where a
 * listener is in their life cycle, for filtering a segment), not a habit, so it is reported but does not cluster.
 */
const CLUSTERED: readonly boolean[] = SEGMENT_FEATURES.map((f) => f !== 'days_since_last_play')
/** How far (in standard deviations) a centroid must stand out for a word of its name. */
const NOTABLE = 0.5

export function clusterListeners(rows: ReadonlyArray<readonly number[]>, k: number, seed: number): Clustering {
  const n = rows.length
  if (n === 0) return { assignment: [], segments: [] }
  const kk = Math.min(k, n)
  const d = SEGMENT_FEATURES.length
  const x = rows.map((r) => r.map((v, j) => (LOG_FEATURES.has(SEGMENT_FEATURES[j]!) ? Math.log1p(v) : v)))
  const mean = Array.from({ length: d }, (_, j) => x.reduce((s, r) => s + r[j]!, 0) / n)
  const sd = Array.from({ length: d }, (_, j) => Math.sqrt(x.reduce((s, r) => s + (r[j]! - mean[j]!) ** 2, 0) / n) || 1)
  const z = x.map((r) => r.map((v, j) => (v - mean[j]!) / sd[j]!))
  const points = z.map((r) => r.filter((_, j) => CLUSTERED[j]))
  const result = kmeans(points, kk, { seed, initialization: 'kmeans++', maxIterations: 300 })
  const groups = Array.from({ length: kk }, (_, c) => ({ c, members: [] as number[] }))
  result.clusters.forEach((c, i) => groups[c]!.members.push(i))
  const avg = (members: number[], m: number[][]): number[] =>
    Array.from({ length: d }, (_, j) => members.reduce((s, i) => s + m[i]![j]!, 0) / Math.max(1, members.length))
  const described = groups
    .filter((g) => g.members.length > 0)
    .map((g) => ({ ...g, z: avg(g.members, z), raw: avg(g.members, rows as number[][]) }))
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

function record(v: number[]): Record<SegmentFeature, number> {
  return Object.fromEntries(SEGMENT_FEATURES.map((f, j) => [f, v[j]!])) as Record<SegmentFeature, number>
}

function compare(a: number[], b: number[]): number {
  for (let j = 0; j < a.length; j++) if (a[j] !== b[j]) return a[j]! - b[j]!
  return 0
}

/** "heavy night listeners", "skippers", "light listeners", "lapsing completionists", ... */
export function nameOf(z: Record<SegmentFeature, number>): string {
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
