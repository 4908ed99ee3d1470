/**
 * The batch views' SQL, generated ONCE for every engine: from the one metric definition (shared/metrics.ts, every
 * view's metric columns come from `metricsSelectList()`) and from the view specs below, through a small dialect
 * (sql-dialect.ts) for what DuckDB and Spark spell differently. Adding a metric there adds it to every view, every
 * engine and every reader.
 *
 * A job is: the events of the run's files on the run's days; dedup (the copy that arrived first of each event_id,
 * ties broken by partition and offset; only rows whose 64-bit hash of event_id occurs twice go through the exact
 * row_number() pass, since duplicates are rare and copies of one event share `ts`, so they fall on one day); the
 * four grouped views aggregated into one table `batch_agg` keyed by the grouping id `g`; each view a select over it
 * (top songs ranks the song view). A song's artist is carried as `max(artist_id)` rather than grouped on, so
 * (day, song) stays a key even if the catalog ever moved a song between artists.
 */
import { quoteLiteral } from '../../shared/duckdb.ts'
import { dayStartMs, requireDay } from '../../shared/day.ts'
import { DIMENSIONS, dimensionSql } from '../../shared/dimensions.ts'
import { METRICS, metricsSelectList } from '../../shared/metrics.ts'
import { DUCKDB, type SqlDialect } from './sql-dialect.ts'

/** The day of an event, from its event time in UTC, whatever the session's time zone (DuckDB). */
export const EVENT_DAY_SQL = DUCKDB.eventDay('ts')

export interface ViewSpec {
  readonly name: string
  /** Key and label columns with their SQL types, before the metric columns (BIGINT). */
  readonly columns: ReadonlyArray<readonly [string, string]>
  /** Row order inside a day file, so a re-run (or another engine) writes the same rows in the same order. */
  readonly orderBy: string
}

/** One column per dimension (shared/dimensions.ts), d0..dn in DIMENSIONS order: its value, never NULL. */
const DIM_COLS = DIMENSIONS.map((_, i) => `d${i}`)
const KEYS = ['song_id', 'artist_id', 'device', 'country', ...DIM_COLS] as const

const GROUPED = {
  song_daily: {
    columns: [
      ['day', 'DATE'],
      ['song_id', 'VARCHAR'],
      ['artist_id', 'VARCHAR'],
    ],
    orderBy: 'song_id',
    keys: ['song_id'],
  },
  artist_daily: {
    columns: [
      ['day', 'DATE'],
      ['artist_id', 'VARCHAR'],
    ],
    orderBy: 'artist_id',
    keys: ['artist_id'],
  },
  artist_country_daily: {
    columns: [
      ['day', 'DATE'],
      ['artist_id', 'VARCHAR'],
      ['country', 'VARCHAR'],
    ],
    orderBy: 'artist_id, country NULLS LAST',
    keys: ['artist_id', 'country'],
  },
  song_device_daily: {
    columns: [
      ['day', 'DATE'],
      ['song_id', 'VARCHAR'],
      ['artist_id', 'VARCHAR'],
      ['device', 'VARCHAR'],
    ],
    orderBy: 'song_id, device NULLS LAST',
    keys: ['song_id', 'device'],
  },
} as const satisfies Record<
  string,
  { columns: ReadonlyArray<readonly [string, string]>; orderBy: string; keys: readonly string[] }
>

/** The breakdown views: per (day, song|artist, dimension, value), one grouping set per (kind, dimension). */
const BREAKDOWN = {
  song_breakdown_daily: {
    kind: 'song_id',
    columns: [
      ['day', 'DATE'],
      ['song_id', 'VARCHAR'],
      ['artist_id', 'VARCHAR'],
      ['dimension', 'VARCHAR'],
      ['value', 'VARCHAR'],
    ],
    orderBy: 'song_id, dimension, value',
  },
  artist_breakdown_daily: {
    kind: 'artist_id',
    columns: [
      ['day', 'DATE'],
      ['artist_id', 'VARCHAR'],
      ['dimension', 'VARCHAR'],
      ['value', 'VARCHAR'],
    ],
    orderBy: 'artist_id, dimension, value',
  },
} as const
type BreakdownView = keyof typeof BREAKDOWN
const BREAKDOWN_SETS = Object.values(BREAKDOWN).flatMap((v) => DIM_COLS.map((c) => [v.kind, c] as const))

export const TOP_SONGS_LIMIT = 100

export const VIEW_SPECS: readonly ViewSpec[] = [
  ...Object.entries(GROUPED).map(([name, v]) => ({ name, columns: v.columns, orderBy: v.orderBy })),
  {
    name: 'top_songs_daily',
    columns: [
      ['day', 'DATE'],
      ['rank', 'INTEGER'],
      ['song_id', 'VARCHAR'],
      ['artist_id', 'VARCHAR'],
    ],
    orderBy: 'rank',
  },
  ...Object.entries(BREAKDOWN).map(([name, v]) => ({ name, columns: v.columns, orderBy: v.orderBy })),
]

export function viewSpec(view: string): ViewSpec {
  const spec = VIEW_SPECS.find((s) => s.name === view)
  if (spec === undefined) throw new RangeError(`unknown batch view ${view}`)
  return spec
}

type GroupedView = keyof typeof GROUPED

/** The grouping id of a set over KEYS: a bit is 1 when rolled up. */
function groupingIdFor(keys: readonly string[]): number {
  return KEYS.reduce((g, k, i) => g | (keys.includes(k) ? 0 : 1 << (KEYS.length - 1 - i)), 0)
}

function groupingIdOf(view: GroupedView): number {
  return groupingIdFor(GROUPED[view].keys)
}

/** The set whose `events` count every deduplicated row once (artist_daily), for the run's rows-read figure. */
export const ARTIST_SET = groupingIdOf('artist_daily')

const EVENT_COLUMNS = 'ts, song_id, artist_id, user_id, type, ms_played, device, country'
const metricColumns = METRICS.map((m) => m.column).join(', ')

/** The run's filter on event time: a range the Parquet readers push down, made exact by a day list when needed. */
export function dayFilterSql(d: SqlDialect, days: readonly string[]): string {
  const sorted = [...days].sort()
  const first = requireDay(sorted[0]!, 'day')
  const last = requireDay(sorted[sorted.length - 1]!, 'day')
  const instant = (day: number): string => new Date(dayStartMs(day)).toISOString()
  const range = `ts >= ${d.timestamp(instant(first))} AND ts < ${d.timestamp(instant(last + 1))}`
  const contiguous = last - first + 1 === sorted.length
  return contiguous
    ? range
    : `${range} AND ${d.eventDay('ts')} IN (${sorted.map((day) => `DATE ${quoteLiteral(day)}`).join(', ')})`
}

/**
 * The one aggregation: `source` is a relation of deduplicated events with a `day` column. Produces the grouping id
 * `g`, the keys, `song_artist_id`, `events` (rows counted) and every metric column.
 */
export function groupedAggregateSql(source: string, d: SqlDialect = DUCKDB): string {
  const measures = `max(artist_id) AS song_artist_id, count(*) AS events,\n  ${metricsSelectList()}`
  const allSets: Array<readonly string[]> = [...Object.values(GROUPED).map((v) => v.keys), ...BREAKDOWN_SETS]
  if (d.groupingSets) {
    const sets = allSets.map((keys) => `(day, ${keys.join(', ')})`).join(', ')
    return `SELECT ${d.groupingId(KEYS)} AS g, day, ${KEYS.join(', ')},\n  ${measures}\nFROM ${source}\nGROUP BY GROUPING SETS (${sets})`
  }
  return allSets
    .map((keys) => {
      const cols = KEYS.map((k) => (keys.includes(k) ? k : `CAST(NULL AS STRING) AS ${k}`))
      return `SELECT ${groupingIdFor(keys)} AS g, day, ${cols.join(', ')},\n  ${measures}\nFROM ${source}\nGROUP BY day, ${keys.join(', ')}`
    })
    .join('\nUNION ALL\n')
}

/**
 * Partial aggregates (one per shard, each over a disjoint group of partitions) merged into one: every metric and
 * `events` by sum, the song's artist by max. Exact for distinct listeners only because a listener's events all
 * share one partition (docs/SCALING.md, "Sharding the DuckDB engine").
 */
export function mergePartialsSql(source: string): string {
  const sums = METRICS.map((m) => `CAST(sum(${m.column}) AS BIGINT) AS ${m.column}`).join(', ')
  return `SELECT g, day, ${KEYS.join(', ')}, max(song_artist_id) AS song_artist_id, CAST(sum(events) AS BIGINT) AS events, ${sums}
FROM ${source} GROUP BY g, day, ${KEYS.join(', ')}`
}

export interface BatchJobSql {
  /** Statements in order; the last creates `batch_agg`. */
  readonly statements: readonly string[]
  /** One number each: the rows counted (after dedup) and the duplicate rows dropped. */
  readonly countedSql: string
  readonly duplicatesSql: string
}

/**
 * Each deduplicated event with its dimension values d0..dn (shared/dimensions.ts, the one definition), the listener
 * profiles (`listeners`, a relation of catalog/listeners, if the lake has them) joined by user_id.
 */
function withDimensionsSql(d: SqlDialect, deduped: string, listeners: string | undefined): string {
  const cols = {
    country: 'e.country',
    device: 'e.device',
    utcHour: d.utcHour('e.ts'),
    day: 'e.day',
    ...(listeners === undefined
      ? {}
      : { profile: { country: 'l.country', birthYear: 'l.birth_year', gender: 'l.gender', tier: 'l.tier' } }),
  }
  const dims = DIMENSIONS.map((dim, i) => `${dimensionSql(dim, cols)} AS d${i}`).join(', ')
  const join = listeners === undefined ? '' : ` LEFT JOIN ${listeners} l ON l.user_id = e.user_id`
  return `(SELECT e.*, ${dims} FROM ${deduped}${join}) ed`
}

/**
 * The job over `files` (a relation of archive rows: read_parquet(...) or a registered table) on `days`, with the
 * listener profiles' relation when the lake has them.
 */
export function batchJobSql(d: SqlDialect, files: string, days: readonly string[], listeners?: string): BatchJobSql {
  const day = d.eventDay('ts')
  const dedupedEvents = `(
    SELECT ${day} AS day, ${EVENT_COLUMNS} FROM batch_src s ${d.antiJoin} batch_dup_hashes h ON ${d.hash('s.event_id')} = h.h
    UNION ALL
    SELECT ${day} AS day, ${EVENT_COLUMNS} FROM (
      SELECT *, row_number() OVER (PARTITION BY event_id ORDER BY arrived_at, kafka_partition, kafka_offset) AS copy FROM batch_dups
    ) c WHERE copy = 1
  ) e`
  const deduped = withDimensionsSql(d, dedupedEvents, listeners)
  return {
    statements: [
      d.createView('batch_src', `SELECT * FROM ${files} WHERE ${dayFilterSql(d, days)}`),
      d.createTable(
        'batch_dup_hashes',
        `SELECT ${d.hash('event_id')} AS h FROM batch_src GROUP BY 1 HAVING count(*) > 1`,
      ),
      d.createTable(
        'batch_dups',
        `SELECT s.* FROM batch_src s ${d.semiJoin} batch_dup_hashes h ON ${d.hash('s.event_id')} = h.h`,
      ),
      // Separate GROUP BYs each read the events: materialise them once, deduplicated, rather than dedup four times.
      ...(d.groupingSets
        ? [d.createTable('batch_agg', groupedAggregateSql(deduped, d))]
        : [
            d.createTable('batch_events', `SELECT * FROM ${deduped}`),
            d.createTable('batch_agg', groupedAggregateSql('batch_events', d)),
          ]),
    ],
    countedSql: `SELECT coalesce(sum(events), 0) FROM batch_agg WHERE g = ${ARTIST_SET}`,
    duplicatesSql: `SELECT count(*) - count(DISTINCT event_id) FROM batch_dups`,
  }
}

/**
 * The rows of one view from the aggregate table: of one day (ordered as the day file is), or of every day (a
 * `day` column per row, for an engine that writes the view partitioned by day).
 */
export function viewSql(view: string, aggTable: string, day?: string): string {
  const where = day === undefined ? '' : ` AND day = DATE ${quoteLiteral(day)}`
  if (view in BREAKDOWN) {
    const spec = BREAKDOWN[view as BreakdownView]
    const ids = DIM_COLS.map((c) => groupingIdFor([spec.kind, c]))
    const dimension = `CASE g ${DIMENSIONS.map((dim, i) => `WHEN ${ids[i]!} THEN '${dim.name}'`).join(' ')} END`
    const keys = spec.kind === 'song_id' ? 'day, song_id, song_artist_id AS artist_id' : 'day, artist_id'
    return `SELECT ${keys}, ${dimension} AS dimension, coalesce(${DIM_COLS.join(', ')}) AS value, ${metricColumns} FROM ${aggTable}
    WHERE g IN (${ids.join(', ')})${where}${day === undefined ? '' : ` ORDER BY ${spec.orderBy}`}`
  }
  if (view === 'top_songs_daily') {
    return `SELECT day, rank, song_id, artist_id, ${metricColumns} FROM (
      SELECT day, CAST(row_number() OVER (PARTITION BY day ORDER BY plays DESC, listeners DESC, song_id) AS INTEGER) AS rank,
        song_id, song_artist_id AS artist_id, ${metricColumns}
      FROM ${aggTable} WHERE g = ${groupingIdOf('song_daily')}${where}
    ) r WHERE rank <= ${TOP_SONGS_LIMIT}${day === undefined ? '' : ' ORDER BY rank'}`
  }
  const spec = GROUPED[view as GroupedView]
  if (spec === undefined) throw new RangeError(`unknown batch view ${view}`)
  const keys = spec.columns.map(([c]) =>
    c === 'artist_id' && view.startsWith('song_') ? 'song_artist_id AS artist_id' : c,
  )
  return `SELECT ${keys.join(', ')}, ${metricColumns} FROM ${aggTable}
    WHERE g = ${groupingIdOf(view as GroupedView)}${where}${day === undefined ? '' : ` ORDER BY ${spec.orderBy}`}`
}

/** One view's day file from rows another engine wrote: the same columns, types and order as viewSql(view, agg, day). */
export function normalizedViewSql(spec: ViewSpec, source: string, day: string): string {
  const cols = spec.columns.map(([c, t]) =>
    c === 'day' ? `DATE ${quoteLiteral(day)} AS day` : `CAST(${c} AS ${t}) AS ${c}`,
  )
  const metrics = METRICS.map((m) => `CAST(${m.column} AS BIGINT) AS ${m.column}`)
  return `SELECT ${[...cols, ...metrics].join(', ')} FROM ${source} ORDER BY ${spec.orderBy}`
}

/** An empty relation with a view's columns, for readers when the lake has no file of it yet. */
export function emptyViewSql(spec: ViewSpec): string {
  const cols = [
    ...spec.columns.map(([c, t]) => `CAST(NULL AS ${t}) AS ${c}`),
    ...METRICS.map((m) => `CAST(NULL AS BIGINT) AS ${m.column}`),
  ]
  return `SELECT ${cols.join(', ')} WHERE false`
}
