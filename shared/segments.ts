/**
 * Listener segments in the lake (written nightly by batch-layer/segments/, read by `playcount sql` and the serving
 * layer): per listener the features over a trailing window and a segment, and a summary of the segments.
 * docs/ARCHITECTURE.md#segments.
 */
import type { Lake } from './lake.ts'

/** The latest run's summary; written last, so a reader that finds it finds its Parquet file too. */
export const SEGMENTS_LATEST_KEY = 'views/segments/latest.json'

export function segmentsFileKey(asOf: string): string {
  return `views/segments/asof=${asOf}/listener_segments.parquet`
}

export function segmentsSummaryKey(asOf: string): string {
  return `views/segments/asof=${asOf}/summary.json`
}

/**
 * Feature columns of listener_segments, in order (each a DOUBLE). `premium` is the listener's account tier from
 * catalog/listeners: 1 premium, 0 free, NULL (unknown) for a listener without a profile or a lake without profiles —
 * never 0, which would count them as free. It is reported per segment but does not cluster (cluster.ts).
 */
export const SEGMENT_FEATURES = [
  'plays_per_active_day',
  'distinct_artists',
  'skip_rate',
  'complete_share',
  'night_share',
  'days_since_last_play',
  'premium',
] as const
export type SegmentFeature = (typeof SEGMENT_FEATURES)[number]
/** The one feature that can be unknown (null); every other is known for each listener with a play. */
export type NullableFeature = 'premium'
/** A value per feature: a listener's features, or a segment's centroid. */
export type SegmentValues = { [F in SegmentFeature]: F extends NullableFeature ? number | null : number }

export interface SegmentArtist {
  artistId: string
  plays: number
  share: number
  lift: number
}

export interface SegmentSummary {
  segment: number
  name: string
  size: number
  /**
   * The centroid in the features' own units: the mean of the segment's listeners where the feature is known, so
   * `centroid.premium` is the premium share among the members with a profile (null when none has one).
   */
  centroid: SegmentValues
  /** Members with a profile (a known `premium`): the base of `centroid.premium`. */
  profiles: number
  /** The artists this segment plays most: its plays, its share of the artist's plays, and that share over the segment's share of all plays. */
  topArtists: SegmentArtist[]
}

export interface SegmentsRun {
  asOf: string
  /** The trailing window: event times in [from, to). */
  from: string
  to: string
  k: number
  seed: number
  listeners: number
  file: string
  segments: SegmentSummary[]
}

/** A summary as stored: one written before `premium` existed has neither its centroid value nor `profiles`. */
type StoredRun = Omit<SegmentsRun, 'segments'> & {
  segments: Array<
    Omit<SegmentSummary, 'centroid' | 'profiles'> & {
      centroid: Omit<SegmentValues, 'premium'> & { premium?: number | null }
      profiles?: number
    }
  >
}

/** The latest segments run, if any. A run written before `premium` existed reads as one without profiles. */
export async function readLatestSegments(lake: Lake): Promise<SegmentsRun | undefined> {
  const bytes = await lake.get(SEGMENTS_LATEST_KEY)
  if (bytes === undefined) return undefined
  const run = JSON.parse(bytes.toString('utf8')) as StoredRun
  return {
    ...run,
    segments: run.segments.map((s) => ({
      ...s,
      centroid: { ...s.centroid, premium: s.centroid.premium ?? null },
      profiles: s.profiles ?? 0,
    })),
  }
}

/** listener_segments with no rows, for a lake without segments (same columns). */
export const EMPTY_SEGMENTS_SQL = `SELECT NULL::VARCHAR AS user_id, ${SEGMENT_FEATURES.map((f) => `NULL::DOUBLE AS ${f}`).join(', ')},
  NULL::INTEGER AS segment, NULL::VARCHAR AS segment_name WHERE false`
