/**
 * Turns a buffered CSV of rows into the events Parquet file, with DuckDB: zstd, the documented column types, the rows
 * in the order of the CSV, which is kafka_offset order (a partition's messages are appended as they are read), so
 * no sort is needed: DuckDB keeps the insertion order (`preserve_insertion_order`, on by default) even when it reads
 * the CSV with several threads. The same rows always give the same bytes (same DuckDB version and settings), so a
 * file rewritten after a crash is the same object (test/batch-layer/archiver/parquet-writer.test.ts).
 */
import type { Config } from '../../shared/config.ts'
import type { DuckDBConnection } from '@duckdb/node-api'
import fastq from 'fastq'
import { openDuck, quoteLiteral, type DuckSession } from '../../shared/duckdb.ts'
import { Errors, isPlaycountError } from '../../shared/errors.ts'
import { ROW_COLUMNS } from './row-encoder.ts'

/**
 * Rows per row group: 256 Ki rows are a few MB compressed, large enough for sequential scans and good zstd ratios,
 * small enough that a full file (2 M rows by default) still gives a scan 8 row groups to run in parallel.
 */
export const ROW_GROUP_ROWS = 262_144

const csvColumns = `{${ROW_COLUMNS.map(([name, type]) => `${quoteLiteral(name)}: ${quoteLiteral(type)}`).join(', ')}}`

/**
 * zstd level 1 rather than DuckDB's default 3: measured on 200k rows, 1.3 against 1.6 µs of CPU per row for the whole
 * COPY, for a file 0.7% larger. The level is part of what makes the bytes (same rows, same level, same bytes); files
 * written at another level stay as they are, since an existing file is never rewritten (partition-archive.ts).
 */
const ZSTD_LEVEL = 1

/**
 * Distinct values a column's dictionary may hold in a row group before the column is written without one. The
 * columns with few values (type, device, country, artist, song of a modest catalog) keep their dictionary; event_id
 * and user_id have nearly as many values as rows, and building a dictionary up to DuckDB's default limit only to drop
 * it cost a third of the Parquet writing: measured on 262,144 rows, 1.16 against 1.64 µs of CPU per row for the whole
 * COPY (the median of 8), for a file 1.5% larger (user_id without a dictionary); on 66,000 rows 1.19 against 1.29 µs
 * and the same file. Part of what makes the bytes, like the zstd level.
 */
const DICTIONARY_LIMIT = 3_000

/**
 * Parquet format version 2 (DuckDB's `PARQUET_VERSION v2`): its data pages and encodings (DELTA_BINARY_PACKED for the
 * times and offsets, DELTA_LENGTH_BYTE_ARRAY for the plain ids) cost less to write and to store than version 1's
 * PLAIN. Measured on 300,000 rows, interleaved three times: 0.93-1.10 against 1.10-1.26 µs of CPU per row for the
 * whole COPY, a file 27% smaller. DuckDB and Spark (the engines of the batch layer) read both versions; the Spark
 * test's lake is written with these same options (test/batch-layer/nightly/fixture.ts). Part of what makes the bytes.
 */
const PARQUET_VERSION = 'v2'

/** How the events files are written (also the test fixtures' archive, so every engine is tested on this format). */
export const EVENTS_PARQUET_OPTIONS = `FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL ${ZSTD_LEVEL}, ROW_GROUP_SIZE ${ROW_GROUP_ROWS},
  DICTIONARY_SIZE_LIMIT ${DICTIONARY_LIMIT}, PARQUET_VERSION ${PARQUET_VERSION}`

function selectRows(csvPath: string): string {
  // make_timestamptz(microseconds) is the instant itself; `epoch_ms(ts) AT TIME ZONE 'UTC'` gives the same values
  // (and the same file) through a time zone conversion that cost a fifth of the whole COPY.
  return `SELECT event_id, make_timestamptz(ts * 1000) AS ts, make_timestamptz(arrived_at * 1000) AS arrived_at,
      user_id, song_id, artist_id, type, ms_played, device, country, kafka_partition, kafka_offset
    FROM read_csv(${quoteLiteral(csvPath)}, header = false, auto_detect = false, delim = ',', quote = '"', escape = '"',
      columns = ${csvColumns})`
}

/**
 * Files converted at once, each by one DuckDB thread on its own connection: two single-threaded COPYs keep both
 * cores busy where one COPY of a file of a few hundred thousand rows does not (measured: six files of 167k rows in
 * 1.0 s this way against 1.6 s one after the other with two threads each), and a conversion while Kafka is being
 * read takes at most one core from the consuming and encoding threads.
 */
export const CONVERSIONS = 2

export class ParquetWriter {
  /**
   * Statements, CONVERSIONS at a time, each on a connection of its own. Invariant: fastq runs at most CONVERSIONS
   * jobs at once and there are CONVERSIONS connections, so a job always finds one idle.
   */
  private readonly statements = fastq.promise(
    (statement: (conn: DuckDBConnection) => Promise<unknown>) => this.onIdleConnection(statement),
    CONVERSIONS,
  )

  private constructor(
    private readonly duck: DuckSession,
    /** Connections not running a statement. */
    private readonly idle: DuckDBConnection[],
  ) {}

  static async create(config: Readonly<Config>): Promise<ParquetWriter> {
    const duck = await openDuck(config, { threads: 1 })
    try {
      const connections = [duck.conn]
      while (connections.length < CONVERSIONS) connections.push(await duck.instance.connect())
      return new ParquetWriter(duck, connections)
    } catch (err) {
      duck.close()
      throw err
    }
  }

  /** Runs `fn` on a connection of its own (one statement at a time per connection), once one is free. */
  private withConnection<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.statements.push(fn) as Promise<T>
  }

  private async onIdleConnection(statement: (conn: DuckDBConnection) => Promise<unknown>): Promise<unknown> {
    const conn = this.idle.pop()
    if (conn === undefined) throw new Error('ParquetWriter: no idle connection (more statements than connections)')
    try {
      return await statement(conn)
    } finally {
      this.idle.push(conn)
    }
  }

  /** Writes the rows of `csvPath` to the local Parquet file `outPath`. */
  async write(csvPath: string, outPath: string): Promise<void> {
    await this.withConnection((conn) =>
      conn.run(`COPY (${selectRows(csvPath)}) TO ${quoteLiteral(outPath)} (${EVENTS_PARQUET_OPTIONS})`),
    )
  }

  /** The last kafka_offset of an existing events file (a local path or an s3:// location). */
  async lastOffset(location: string): Promise<number> {
    try {
      const reader = await this.withConnection((conn) =>
        conn.runAndReadAll(`SELECT max(kafka_offset) FROM read_parquet(${quoteLiteral(location)})`),
      )
      const value = reader.getRows()[0]?.[0]
      if (value === null || value === undefined) throw new Errors.LAKE_IO(`${location} holds no rows`)
      return Number(value)
    } catch (err) {
      if (isPlaycountError(err, 'LAKE_IO')) throw err
      throw new Errors.LAKE_IO(`reading ${location}: ${(err as Error).message}`, { cause: err })
    }
  }

  /** Closes the session once the statements in flight (if any) are done. */
  async close(): Promise<void> {
    await this.statements.drained()
    for (const conn of this.idle) if (conn !== this.duck.conn) conn.closeSync()
    this.duck.close()
  }
}
