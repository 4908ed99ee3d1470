/**
 * The batch views' SQL, generated from the one metric definition (shared/metrics.ts): every view's metric columns
 * come from `metricsSelectList()`, so adding a metric there adds it to every view and every reader.
 *
 * One scan of the events computes the four grouped views at once with GROUPING SETS; the top-songs view ranks the
 * song view. A song's artist is carried as `max(artist_id)` rather than grouped on, so (day, song) stays a key
 * even if the catalog ever moved a song between artists.
 */
import { quoteLiteral } from '../../shared/duckdb.ts'
import { DIMENSIONS, dimensionSql } from '../../shared/dimensions.ts'
import { METRICS, metricsSelectList } from '../../shared/metrics.ts'

/** The day of an event, from its event time in UTC, whatever the session's time zone. */
export const EVENT_DAY_SQL = `CAST(ts AT TIME ZONE 'UTC' AS DATE)`

export interface ViewSpec {
  readonly name: string
  /** Key and label columns with their SQL types, before the metric columns. */
  readonly columns: ReadonlyArray<readonly [string, string]>
  /** Row order inside a day file, so a re-run writes the same rows in the same order. */
  readonly orderBy: string
}

const GROUPED = {
  song_daily: { columns: [['day', 'DATE'], ['song_id', 'VARCHAR'], ['artist_id', 'VARCHAR']], orderBy: 'song_id' },
  artist_daily: { columns: [['day', 'DATE'], ['artist_id', 'VARCHAR']], orderBy: 'artist_id' },
  artist_country_daily: { columns: [['day', 'DATE'], ['artist_id', 'VARCHAR'], ['country', 'VARCHAR']], orderBy: 'artist_id, country NULLS LAST' },
  song_device_daily: { columns: [['day', 'DATE'], ['song_id', 'VARCHAR'], ['artist_id', 'VARCHAR'], ['device', 'VARCHAR']], orderBy: 'song_id, device NULLS LAST' },
} as const

export const TOP_SONGS_LIMIT = 100

/** The breakdown views: per (day, song|artist, dimension, value), one row per dimension value seen (shared/dimensions.ts). */
const BREAKDOWN = {
  song_breakdown_daily: { kind: 'song', columns: [['day', 'DATE'], ['song_id', 'VARCHAR'], ['artist_id', 'VARCHAR'], ['dimension', 'VARCHAR'], ['value', 'VARCHAR']], orderBy: 'song_id, dimension, value' },
  artist_breakdown_daily: { kind: 'artist', columns: [['day', 'DATE'], ['artist_id', 'VARCHAR'], ['dimension', 'VARCHAR'], ['value', 'VARCHAR']], orderBy: 'artist_id, dimension, value' },
} as const

export const VIEW_SPECS: readonly ViewSpec[] = [
  ...Object.entries(GROUPED).map(([name, v]) => ({ name, columns: v.columns, orderBy: v.orderBy })),
  { name: 'top_songs_daily', columns: [['day', 'DATE'], ['rank', 'INTEGER'], ['song_id', 'VARCHAR'], ['artist_id', 'VARCHAR']], orderBy: 'rank' },
  ...Object.entries(BREAKDOWN).map(([name, v]) => ({ name, columns: v.columns, orderBy: v.orderBy })),
]

type GroupedView = keyof typeof GROUPED

/** The GROUPING() id of each grouped view's set over (song_id, artist_id, device, country): a bit is 1 when rolled up. */
const GROUPING_ID: Record<GroupedView, number> = {
  song_daily: 0b0111, // grouped by song
  artist_daily: 0b1011, // artist only
  artist_country_daily: 0b1010, // artist, country
  song_device_daily: 0b0101, // song, device
}

/**
 * The one aggregation: `source` is a relation of deduplicated events with a `day` column. Produces a table with
 * the grouping id `g`, the keys, `song_artist_id`, `events` (rows counted) and every metric column.
 */
export function groupedAggregateSql(source: string): string {
  return `SELECT GROUPING(song_id, artist_id, device, country) AS g, day, song_id, artist_id, device, country,
  max(artist_id) AS song_artist_id, count(*) AS events,
  ${metricsSelectList()}
FROM ${source}
GROUP BY GROUPING SETS ((day, song_id), (day, artist_id), (day, artist_id, country), (day, song_id, device))`
}

const metricColumns = METRICS.map((m) => m.column).join(', ')

/**
 * The listener profile columns the dimensions read, as `dimensionSql` names them: joined to the deduplicated events
 * by user_id (a listener without a profile gets NULLs, so its profile dimensions are `unknown`).
 */
export function withProfilesSql(source: string, listeners: string | undefined): string {
  if (listeners === undefined) {
    return `(SELECT s.*, CAST(NULL AS VARCHAR) AS l_country, CAST(NULL AS INTEGER) AS l_birth_year, CAST(NULL AS VARCHAR) AS l_gender,
      CAST(NULL AS VARCHAR) AS l_tier FROM ${source} s)`
  }
  return `(SELECT s.*, l.country AS l_country, l.birth_year AS l_birth_year, l.gender AS l_gender, l.tier AS l_tier
    FROM ${source} s LEFT JOIN ${listeners} l ON l.user_id = s.user_id)`
}

const DIM_COLS = DIMENSIONS.map((_, i) => `d${i}`)
const N_DIMS = DIMENSIONS.length

/** GROUPING(song_id, artist_id, d0..dn) of the set (day, song_id|artist_id, d_i): a bit is 1 when rolled up. */
function breakdownGroupingId(kind: 'song' | 'artist', i: number): number {
  const dims = ((1 << N_DIMS) - 1) & ~(1 << (N_DIMS - 1 - i))
  return (kind === 'song' ? 1 << N_DIMS : 1 << (N_DIMS + 1)) | dims
}

/**
 * The breakdown aggregation, one scan: `source` holds deduplicated events with `day`, `ts` and the profile columns
 * (`withProfilesSql`). Each dimension's value comes from `dimensionSql`, the one definition; one grouping set per
 * (kind, dimension). Produces `g`, the keys, `song_artist_id`, `value` and every metric column.
 */
export function breakdownAggregateSql(source: string): string {
  const dims = DIMENSIONS.map((d, i) => `${dimensionSql(d)} AS d${i}`).join(', ')
  const sets = (['song_id', 'artist_id'] as const).flatMap((k) => DIM_COLS.map((c) => `(day, ${k}, ${c})`))
  return `SELECT GROUPING(song_id, artist_id, ${DIM_COLS.join(', ')}) AS g, day, song_id, artist_id,
  max(artist_id) AS song_artist_id, coalesce(${DIM_COLS.join(', ')}) AS value,
  ${metricsSelectList()}
FROM (SELECT *, ${dims} FROM ${source})
GROUP BY GROUPING SETS (${sets.join(', ')})`
}

function breakdownDaySql(view: keyof typeof BREAKDOWN, dimsTable: string, d: string): string {
  const spec = BREAKDOWN[view]
  const ids = DIMENSIONS.map((_, i) => breakdownGroupingId(spec.kind, i))
  const dimension = `CASE g ${DIMENSIONS.map((dim, i) => `WHEN ${ids[i]!} THEN '${dim.name}'`).join(' ')} END`
  const keys = spec.kind === 'song' ? 'day, song_id, song_artist_id AS artist_id' : 'day, artist_id'
  return `SELECT ${keys}, ${dimension} AS dimension, value, ${metricColumns} FROM ${dimsTable}
    WHERE g IN (${ids.join(', ')}) AND day = ${d} ORDER BY ${spec.orderBy}`
}

/**
 * The rows of one view for one day, from the aggregate table (`agg`), for top songs by ranking song_daily, for the
 * breakdowns from the breakdown aggregate table (`dimsTable`).
 */
export function viewDaySql(view: string, aggTable: string, day: string, dimsTable = `${aggTable}_dims`): string {
  const d = `DATE ${quoteLiteral(day)}`
  if (view in BREAKDOWN) return breakdownDaySql(view as keyof typeof BREAKDOWN, dimsTable, d)
  if (view === 'top_songs_daily') {
    return `SELECT day, CAST(row_number() OVER (ORDER BY plays DESC, listeners DESC, song_id) AS INTEGER) AS rank,
      song_id, song_artist_id AS artist_id, ${metricColumns}
    FROM ${aggTable} WHERE g = ${GROUPING_ID.song_daily} AND day = ${d}
    ORDER BY rank LIMIT ${TOP_SONGS_LIMIT}`
  }
  const spec = GROUPED[view as GroupedView]
  if (spec === undefined) throw new RangeError(`unknown batch view ${view}`)
  const keys = spec.columns.map(([c]) => (c === 'artist_id' && view.startsWith('song_') ? 'song_artist_id AS artist_id' : c))
  return `SELECT ${keys.join(', ')}, ${metricColumns} FROM ${aggTable}
    WHERE g = ${GROUPING_ID[view as GroupedView]} AND day = ${d} ORDER BY ${spec.orderBy}`
}

/** An empty relation with a view's columns, for readers when the lake has no file of it yet. */
export function emptyViewSql(spec: ViewSpec): string {
  const cols = [...spec.columns.map(([c, t]) => `CAST(NULL AS ${t}) AS ${c}`), ...METRICS.map((m) => `CAST(NULL AS BIGINT) AS ${m.column}`)]
  return `SELECT ${cols.join(', ')} WHERE false`
}
