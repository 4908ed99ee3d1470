/**
 * The ad-hoc SQL session of `playcount sql`: an in-memory DuckDB with views over the lake — `events` (the raw
 * archive), the batch views of the current manifest (song_daily, artist_daily, ...), and the catalog (songs,
 * artists). Read-only and confined to the lake: after the views exist, external access is switched off except
 * for the lake (see confineToLake) and the configuration is locked; every statement also passes guard.ts, since
 * DuckDB would still let a COPY write inside an allowed folder. Bounded: a memory limit, a private temp folder
 * with a size limit (deleted at close), a time limit per statement, and a cap on result rows (limits.ts).
 */
import fs from 'node:fs'
import path from 'node:path'
import { DuckDBTypeId, type DuckDBConnection, type DuckDBResultReader } from '@duckdb/node-api'
import type { Config } from '../../shared/config.ts'
import { fileList, openDuck, quoteIdent, quoteLiteral, type DuckSession } from '../../shared/duckdb.ts'
import { Errors } from '../../shared/errors.ts'
import { isPlainKey, type Lake } from '../../shared/lake.ts'
import {
  CATALOG_ARTISTS_KEY,
  CATALOG_LISTENERS_KEY,
  CATALOG_SONGS_KEY,
  parseEventsFileKey,
} from '../../shared/layout.ts'
import { readViewsManifest } from '../../shared/views.ts'
import { EMPTY_SEGMENTS_SQL, readLatestSegments } from '../../shared/segments.ts'
import { VIEW_SPECS, emptyViewSql } from '../nightly/views-sql.ts'
import { prepareReadOnly } from './guard.ts'
import { SQL_LIMITS, sqlError, type SqlLimits } from './limits.ts'

export interface SqlResult {
  columns: string[]
  /** JSON-compatible values: integers as numbers where they fit, dates and timestamps as strings. */
  rows: unknown[][]
}

export interface SqlSession {
  /** The views the session offers. */
  readonly views: string[]
  /** DuckDB's temp folder: private to the session, deleted by close(). */
  readonly tempDirectory: string
  query(sql: string): Promise<SqlResult>
  /** Stops the running statement (Ctrl-C); its query() rejects. */
  interrupt(): void
  /** Closes DuckDB and deletes the session's temp folder. */
  close(): void
}

const EMPTY: Record<string, string> = {
  events: `SELECT NULL::VARCHAR AS event_id, NULL::TIMESTAMPTZ AS ts, NULL::TIMESTAMPTZ AS arrived_at, NULL::VARCHAR AS user_id,
    NULL::VARCHAR AS song_id, NULL::VARCHAR AS artist_id, NULL::VARCHAR AS type, NULL::INTEGER AS ms_played, NULL::VARCHAR AS device,
    NULL::VARCHAR AS country, NULL::INTEGER AS kafka_partition, NULL::BIGINT AS kafka_offset WHERE false`,
  songs: `SELECT NULL::VARCHAR AS song_id, NULL::VARCHAR AS artist_id, NULL::VARCHAR AS title, NULL::VARCHAR AS genre,
    NULL::INTEGER AS duration_ms, NULL::INTEGER AS popularity_rank WHERE false`,
  artists: `SELECT NULL::VARCHAR AS artist_id, NULL::VARCHAR AS name, NULL::VARCHAR AS genre, NULL::VARCHAR AS country WHERE false`,
  listeners: `SELECT NULL::VARCHAR AS user_id, NULL::VARCHAR AS country, NULL::INTEGER AS birth_year, NULL::VARCHAR AS gender,
    NULL::VARCHAR AS tier, NULL::DATE AS signup_date WHERE false`,
}

/** Creates the views; returns their names and the lake keys they read, all plain (shared/lake.ts). */
async function createViews(conn: DuckDBConnection, lake: Lake): Promise<{ views: string[]; keys: string[] }> {
  const keys: string[] = []
  const define = async (name: string, viewKeys: string[], empty: string): Promise<void> => {
    // Checked before DuckDB sees it: creating a view reads its files, before the session is confined to the lake.
    const odd = viewKeys.find((k) => !isPlainKey(k))
    if (odd !== undefined)
      throw new Errors.SQL_FORBIDDEN(
        `the lake object ${lake.location(odd)} has a key that is not plain, so the session will not read it`,
      )
    keys.push(...viewKeys)
    const body =
      viewKeys.length > 0 ? `SELECT * FROM read_parquet(${fileList(viewKeys.map((k) => lake.location(k)))})` : empty
    await conn.run(`CREATE VIEW ${quoteIdent(name)} AS ${body}`)
  }
  await define(
    'events',
    (await lake.list('events/')).filter((k) => parseEventsFileKey(k) !== undefined),
    EMPTY.events!,
  )
  const manifest = await readViewsManifest(lake)
  for (const spec of VIEW_SPECS) await define(spec.name, manifest?.views[spec.name] ?? [], emptyViewSql(spec))
  const catalog = [
    ['songs', CATALOG_SONGS_KEY],
    ['artists', CATALOG_ARTISTS_KEY],
    ['listeners', CATALOG_LISTENERS_KEY],
  ] as const
  for (const [name, key] of catalog) await define(name, (await lake.exists(key)) ? [key] : [], EMPTY[name]!)
  const segments = await readLatestSegments(lake)
  await define('listener_segments', segments === undefined ? [] : [segments.file], EMPTY_SEGMENTS_SQL)
  return {
    views: ['events', ...VIEW_SPECS.map((s) => s.name), ...catalog.map(([name]) => name), 'listener_segments'],
    keys,
  }
}

/**
 * A local lake is allowed as a folder: DuckDB resolves `.` and `..` in local paths before comparing. An S3 URL it
 * compares as written, and its httpfs obeys `?s3_endpoint=` in one, so an S3 lake is allowed object by object —
 * exactly the plain URLs behind the views — and any other spelling (`..`, a query, an escape, a glob) is refused.
 */
async function confineToLake(conn: DuckDBConnection, lake: Lake, keys: string[]): Promise<void> {
  if (lake.kind === 's3') {
    if (keys.length > 0) await conn.run(`SET allowed_paths = ${fileList(keys.map((k) => lake.location(k)))}`)
  } else {
    await conn.run(`SET allowed_directories = [${quoteLiteral(lake.location('').replace(/\/*$/, '/'))}]`)
  }
  await conn.run('SET enable_external_access = false')
  await conn.run('SET lock_configuration = true')
}

const NUMERIC = new Set<DuckDBTypeId>([
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UHUGEINT,
  DuckDBTypeId.DECIMAL,
])

function toRows(result: DuckDBResultReader): unknown[][] {
  const numeric = result.columnTypes().map((t) => NUMERIC.has(t.typeId))
  return result.getRowsJson().map((row) =>
    row.map((v, i) => {
      if (!numeric[i] || typeof v !== 'string') return v
      const n = Number(v)
      return Number.isSafeInteger(n) || (!Number.isInteger(n) && Number.isFinite(n)) ? n : v
    }),
  )
}

export async function openSqlSession(
  config: Readonly<Config>,
  lake: Lake,
  limits: Readonly<SqlLimits> = SQL_LIMITS,
): Promise<SqlSession> {
  // Private (mkdtemp makes it 0700) and this session's alone: DuckDB lets a session read its temp folder even when
  // external access is off, and its default is `.tmp` in whatever folder the command runs in.
  const parent = path.join(config.home, 'tmp')
  fs.mkdirSync(parent, { recursive: true, mode: 0o700 })
  const tempDirectory = fs.mkdtempSync(path.join(parent, 'sql-'))
  const removeTemp = (): void => fs.rmSync(tempDirectory, { recursive: true, force: true })
  let duck: DuckSession
  let views: string[]
  try {
    duck = await openDuck(config, { memoryLimit: limits.memoryLimit, maxTempSize: limits.tempLimit, tempDirectory })
  } catch (err) {
    removeTemp()
    throw err
  }
  try {
    const created = await createViews(duck.conn, lake)
    views = created.views
    await confineToLake(duck.conn, lake, created.keys)
  } catch (err) {
    duck.close()
    removeTemp()
    throw err
  }
  return {
    views,
    tempDirectory,
    async query(sql) {
      let timedOut = false
      let repeat: NodeJS.Timeout | undefined
      const timer = setTimeout(() => {
        timedOut = true
        duck.conn.interrupt()
        // An interrupt landing between two DuckDB calls (the guard prepares, then the query runs) is lost: repeat it.
        repeat = setInterval(() => duck.conn.interrupt(), 100)
      }, limits.timeoutMs)
      try {
        const prepared = await prepareReadOnly(duck.conn, sql)
        try {
          const result = await prepared.streamAndReadUntil(limits.maxRows + 1)
          if (result.currentRowCount > limits.maxRows) {
            throw new Errors.SQL_TOO_MANY_ROWS(
              `it returns more than ${limits.maxRows} rows; add a LIMIT or raise it with --max-rows <n>`,
            )
          }
          return { columns: result.columnNames(), rows: toRows(result) }
        } finally {
          prepared.destroySync()
        }
      } catch (err) {
        throw sqlError(err, limits, timedOut)
      } finally {
        clearTimeout(timer)
        clearInterval(repeat)
      }
    },
    interrupt: () => duck.conn.interrupt(),
    close: () => {
      try {
        duck.close()
      } finally {
        removeTemp()
      }
    },
  }
}
