/**
 * The ad-hoc SQL session of `playcount sql`: an in-memory DuckDB with views over the lake — `events` (the raw
 * archive), the batch views of the current manifest (song_daily, artist_daily, ...), and the catalog (songs,
 * artists). Read-only and confined to the lake: after the views exist, external access is switched off except
 * for the lake's own folder or bucket prefix and the configuration is locked; every statement also passes
 * guard.ts, since DuckDB would still let a COPY write inside an allowed folder.
 */
import { DuckDBTypeId, type DuckDBConnection, type DuckDBResultReader } from '@duckdb/node-api'
import type { Config } from '../../shared/config.ts'
import { fileList, openDuck, quoteIdent, quoteLiteral, type DuckSession } from '../../shared/duckdb.ts'
import { Errors } from '../../shared/errors.ts'
import type { Lake } from '../../shared/lake.ts'
import { CATALOG_ARTISTS_KEY, CATALOG_SONGS_KEY, parseEventsFileKey } from '../../shared/layout.ts'
import { readViewsManifest } from '../../shared/views.ts'
import { VIEW_SPECS, emptyViewSql } from '../nightly/views-sql.ts'
import { assertReadOnly } from './guard.ts'

export interface SqlResult {
  columns: string[]
  /** JSON-compatible values: integers as numbers where they fit, dates and timestamps as strings. */
  rows: unknown[][]
}

export interface SqlSession {
  /** The views the session offers. */
  readonly views: string[]
  query(sql: string): Promise<SqlResult>
  close(): void
}

const EMPTY: Record<string, string> = {
  events: `SELECT NULL::VARCHAR AS event_id, NULL::TIMESTAMPTZ AS ts, NULL::TIMESTAMPTZ AS arrived_at, NULL::VARCHAR AS user_id,
    NULL::VARCHAR AS song_id, NULL::VARCHAR AS artist_id, NULL::VARCHAR AS type, NULL::INTEGER AS ms_played, NULL::VARCHAR AS device,
    NULL::VARCHAR AS country, NULL::INTEGER AS kafka_partition, NULL::BIGINT AS kafka_offset WHERE false`,
  songs: `SELECT NULL::VARCHAR AS song_id, NULL::VARCHAR AS artist_id, NULL::VARCHAR AS title, NULL::VARCHAR AS genre,
    NULL::INTEGER AS duration_ms, NULL::INTEGER AS popularity_rank WHERE false`,
  artists: `SELECT NULL::VARCHAR AS artist_id, NULL::VARCHAR AS name, NULL::VARCHAR AS genre, NULL::VARCHAR AS country WHERE false`,
}

async function createViews(conn: DuckDBConnection, lake: Lake): Promise<string[]> {
  const define = async (name: string, locations: string[], empty: string): Promise<void> => {
    const body = locations.length > 0 ? `SELECT * FROM read_parquet(${fileList(locations)})` : empty
    await conn.run(`CREATE VIEW ${quoteIdent(name)} AS ${body}`)
  }
  const events = (await lake.list('events/')).filter((k) => parseEventsFileKey(k) !== undefined)
  await define('events', events.map((k) => lake.location(k)), EMPTY.events!)
  const manifest = await readViewsManifest(lake)
  for (const spec of VIEW_SPECS) {
    await define(spec.name, (manifest?.views[spec.name] ?? []).map((k) => lake.location(k)), emptyViewSql(spec))
  }
  for (const [name, key] of [['songs', CATALOG_SONGS_KEY], ['artists', CATALOG_ARTISTS_KEY]] as const) {
    await define(name, (await lake.exists(key)) ? [lake.location(key)] : [], EMPTY[name]!)
  }
  return ['events', ...VIEW_SPECS.map((s) => s.name), 'songs', 'artists']
}

async function confineToLake(conn: DuckDBConnection, lake: Lake): Promise<void> {
  const root = lake.location('').replace(/\/*$/, '/')
  await conn.run(`SET allowed_directories = [${quoteLiteral(root)}]`)
  await conn.run('SET enable_external_access = false')
  await conn.run('SET lock_configuration = true')
}

const NUMERIC = new Set<DuckDBTypeId>([DuckDBTypeId.BIGINT, DuckDBTypeId.UBIGINT, DuckDBTypeId.HUGEINT, DuckDBTypeId.UHUGEINT, DuckDBTypeId.DECIMAL])

function toRows(result: DuckDBResultReader): unknown[][] {
  const numeric = result.columnTypes().map((t) => NUMERIC.has(t.typeId))
  return result.getRowsJson().map((row) => row.map((v, i) => {
    if (!numeric[i] || typeof v !== 'string') return v
    const n = Number(v)
    return Number.isSafeInteger(n) || (!Number.isInteger(n) && Number.isFinite(n)) ? n : v
  }))
}

export async function openSqlSession(config: Readonly<Config>, lake: Lake): Promise<SqlSession> {
  const duck: DuckSession = await openDuck(config)
  let views: string[]
  try {
    views = await createViews(duck.conn, lake)
    await confineToLake(duck.conn, lake)
  } catch (err) {
    duck.close()
    throw err
  }
  return {
    views,
    async query(sql) {
      try {
        await assertReadOnly(duck.conn, sql)
        const result = await duck.conn.runAndReadAll(sql)
        return { columns: result.columnNames(), rows: toRows(result) }
      } catch (err) {
        const message = (err as Error).message
        if (/^Permission Error/.test(message)) throw new Errors.SQL_FORBIDDEN(`only the lake can be read here: ${message.split('\n')[0]}`, { cause: err })
        throw err
      }
    },
    close: () => duck.close(),
  }
}
