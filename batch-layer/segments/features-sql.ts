/**
 * Per-listener features over a trailing window of event time, in DuckDB SQL over the lake's archive files
 * (docs/ARCHITECTURE.md#segments). Duplicate event ids count once (the first arrival, as in the daily views).
 */
import type { Tier } from '../../shared/dimensions.ts'
import { fileList, quoteLiteral } from '../../shared/duckdb.ts'
import { COUNTRY_TIME_ZONE } from '../../shared/time-zones.ts'

/** Local hours counted as night listening, 22:00 to 05:59, in the time zone of the event's country (else UTC). */
const LOCAL_HOUR_SQL = `hour(timezone(coalesce(z.zone, 'UTC'), ts))`
export const NIGHT_HOURS_SQL = `(${LOCAL_HOUR_SQL} >= 22 OR ${LOCAL_HOUR_SQL} < 6)`
const ZONES_SQL = `(VALUES ${Object.entries(COUNTRY_TIME_ZONE)
  .map(([c, zone]) => `(${quoteLiteral(c)}, ${quoteLiteral(zone)})`)
  .join(', ')}) AS z(country, zone)`

const PREMIUM: Tier = 'premium'
const FREE: Tier = 'free'

/**
 * `premium` of listener `p` from the profiles file `listeners` (catalog/listeners, if the lake has it): 1, 0, or
 * NULL without a profile, and NULL for everyone without the file (shared/segments.ts).
 */
function premiumSql(listeners: string | undefined): { column: string; join: string } {
  if (listeners === undefined) return { column: 'CAST(NULL AS DOUBLE)', join: '' }
  return {
    column: `CASE l.tier WHEN ${quoteLiteral(PREMIUM)} THEN 1.0 WHEN ${quoteLiteral(FREE)} THEN 0.0 END`,
    join: ` LEFT JOIN read_parquet(${quoteLiteral(listeners)}) l ON l.user_id = p.user_id`,
  }
}

/**
 * One row per listener with at least one play in [fromIso, toIso): `user_id` and the SEGMENT_FEATURES columns,
 * ordered by user_id (the clustering's input order, for determinism). `listeners`: where catalog/listeners is, if
 * the lake has it (the `premium` feature).
 */
export function featuresSql(locations: readonly string[], fromIso: string, toIso: string, listeners?: string): string {
  const to = `TIMESTAMPTZ ${quoteLiteral(toIso)}`
  const premium = premiumSql(listeners)
  return `WITH src AS (
    SELECT user_id, artist_id, type, ts, country FROM read_parquet(${fileList(locations)})
    WHERE ts >= TIMESTAMPTZ ${quoteLiteral(fromIso)} AND ts < ${to}
    QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY arrived_at, kafka_partition, kafka_offset) = 1
  ), per_user AS (
    SELECT user_id,
      count(*) FILTER (WHERE type = 'play') AS plays,
      count(*) FILTER (WHERE type = 'skip') AS skips,
      count(*) FILTER (WHERE type = 'complete') AS completes,
      count(DISTINCT CAST(ts AT TIME ZONE 'UTC' AS DATE)) FILTER (WHERE type = 'play') AS active_days,
      count(DISTINCT artist_id) FILTER (WHERE type = 'play') AS distinct_artists,
      count(*) FILTER (WHERE type = 'play' AND ${NIGHT_HOURS_SQL}) AS night_plays,
      max(ts) FILTER (WHERE type = 'play') AS last_play
    FROM src LEFT JOIN ${ZONES_SQL} USING (country) GROUP BY user_id
  )
  SELECT p.user_id,
    plays / active_days AS plays_per_active_day,
    CAST(p.distinct_artists AS DOUBLE) AS distinct_artists,
    skips / plays AS skip_rate,
    completes / plays AS complete_share,
    night_plays / plays AS night_share,
    CAST(date_diff('day', last_play, ${to}) AS DOUBLE) AS days_since_last_play,
    ${premium.column} AS premium
  FROM per_user p${premium.join} WHERE plays > 0 ORDER BY p.user_id`
}

/** Per (segment, artist): plays, the segment's share of the artist's plays, and that share over the segment's share of all plays. */
export function artistLiftSql(
  locations: readonly string[],
  fromIso: string,
  toIso: string,
  segmentsTable: string,
  perSegment: number,
): string {
  return `WITH src AS (
    SELECT user_id, artist_id FROM read_parquet(${fileList(locations)})
    WHERE ts >= TIMESTAMPTZ ${quoteLiteral(fromIso)} AND ts < TIMESTAMPTZ ${quoteLiteral(toIso)} AND type = 'play'
    QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY arrived_at, kafka_partition, kafka_offset) = 1
  ), sa AS (
    SELECT s.segment, src.artist_id, count(*) AS plays FROM src JOIN ${segmentsTable} s USING (user_id) GROUP BY ALL
  ), shares AS (
    SELECT segment, artist_id, plays,
      plays / sum(plays) OVER (PARTITION BY artist_id) AS share,
      sum(plays) OVER (PARTITION BY segment) / sum(plays) OVER () AS segment_share
    FROM sa
  )
  SELECT segment, artist_id, plays, share, share / segment_share AS lift FROM shares
  QUALIFY row_number() OVER (PARTITION BY segment ORDER BY plays DESC, artist_id) <= ${perSegment}
  ORDER BY segment, plays DESC, artist_id`
}
