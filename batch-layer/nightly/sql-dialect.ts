/**
 * The few places where DuckDB SQL and Spark SQL differ, and nothing else: the view compiler (views-sql.ts) writes
 * each view once against this interface, so both engines run the same query shapes with the same metric
 * expressions (shared/metrics.ts, whose FILTER clauses both dialects accept).
 */
import { quoteLiteral } from '../../shared/duckdb.ts'

export interface SqlDialect {
  readonly name: 'duckdb' | 'spark'
  /** The UTC calendar day of a timestamp column. */
  eventDay(column: string): string
  /** The UTC hour of a timestamp column as two digits, 00..23 (the `hour` dimension). */
  utcHour(column: string): string
  /** A timestamp literal from an ISO-8601 instant with zone. */
  timestamp(iso: string): string
  /** A 64-bit hash of a string expression (dedup candidates; collisions only cost an exact pass). */
  hash(expr: string): string
  /** The id of a GROUPING SETS row: bit i (from the left, most significant first) is 1 when column i is rolled up. */
  groupingId(columns: readonly string[]): string
  /** Join keywords keeping left rows with (semi) or without (anti) a match. */
  readonly semiJoin: string
  readonly antiJoin: string
  /**
   * One GROUPING SETS pass over the events (DuckDB: one hash table per set, one scan), or one GROUP BY per set over
   * the cached events (Spark: its Expand of every row into every set, with a distinct aggregate, was 3-4x slower
   * than separate GROUP BYs in the measurements in docs/SCALING.md).
   */
  readonly groupingSets: boolean
  /** Creates a named, materialised relation usable by the following statements. */
  createTable(name: string, select: string): string
  /** Creates a named relation computed when used. */
  createView(name: string, select: string): string
}

export const DUCKDB: SqlDialect = {
  name: 'duckdb',
  // AT TIME ZONE 'UTC' makes the day independent of the session's TimeZone setting.
  eventDay: (c) => `CAST(${c} AT TIME ZONE 'UTC' AS DATE)`,
  utcHour: (c) => `lpad(CAST(hour(${c} AT TIME ZONE 'UTC') AS VARCHAR), 2, '0')`,
  timestamp: (iso) => `TIMESTAMPTZ ${quoteLiteral(iso)}`,
  hash: (e) => `hash(${e})`,
  groupingId: (cols) => `GROUPING(${cols.join(', ')})`,
  semiJoin: 'SEMI JOIN',
  antiJoin: 'ANTI JOIN',
  groupingSets: true,
  createTable: (name, select) => `CREATE OR REPLACE TEMP TABLE ${name} AS ${select}`,
  createView: (name, select) => `CREATE OR REPLACE TEMP VIEW ${name} AS ${select}`,
}

export const SPARK: SqlDialect = {
  name: 'spark',
  // The Spark engine sets spark.sql.session.timeZone=UTC; to_date then takes the UTC day of the instant.
  eventDay: (c) => `to_date(${c})`,
  utcHour: (c) => `lpad(CAST(hour(${c}) AS STRING), 2, '0')`,
  timestamp: (iso) => `TIMESTAMP ${quoteLiteral(iso)}`,
  hash: (e) => `xxhash64(${e})`,
  // Spark's grouping() takes one column; its grouping_id() orders bits the same way but is tied to the set list.
  groupingId: (cols) => cols.map((c, i) => `grouping(${c}) * ${2 ** (cols.length - 1 - i)}`).join(' + '),
  semiJoin: 'LEFT SEMI JOIN',
  antiJoin: 'LEFT ANTI JOIN',
  groupingSets: false,
  createTable: (name, select) => `CACHE TABLE ${name} AS ${select}`,
  createView: (name, select) => `CREATE OR REPLACE TEMPORARY VIEW ${name} AS ${select}`,
}

export const DIALECTS = { duckdb: DUCKDB, spark: SPARK } as const
