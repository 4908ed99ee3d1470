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

/** Feature columns of listener_segments, in order (each a DOUBLE). */
export const SEGMENT_FEATURES = [
  'plays_per_active_day',
  'distinct_artists',
  'skip_rate',
  'complete_share',
  'night_share',
  'days_since_last_play',
] as const
export type SegmentFeature = (typeof SEGMENT_FEATURES)[number]

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
  /** The centroid in the features' own units (the mean of the segment's listeners). */
  centroid: Record<SegmentFeature, number>
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

/** The latest segments run, if any. */
export async function readLatestSegments(lake: Lake): Promise<SegmentsRun | undefined> {
  const bytes = await lake.get(SEGMENTS_LATEST_KEY)
  return bytes === undefined ? undefined : (JSON.parse(bytes.toString('utf8')) as SegmentsRun)
}

/** listener_segments with no rows, for a lake without segments (same columns). */
export const EMPTY_SEGMENTS_SQL = `SELECT NULL::VARCHAR AS user_id, ${SEGMENT_FEATURES.map((f) => `NULL::DOUBLE AS ${f}`).join(', ')},
  NULL::INTEGER AS segment, NULL::VARCHAR AS segment_name WHERE false`
