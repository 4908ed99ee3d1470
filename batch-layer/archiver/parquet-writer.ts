/**
 * Turns a buffered CSV of rows into the events Parquet file, with DuckDB: zstd, ordered by kafka_offset, the
 * documented column types. The same rows always give the same bytes (same DuckDB version and settings), so a
 * file rewritten after a crash is the same object.
 */
import type { Config } from '../../shared/config.ts'
import { openDuck, quoteLiteral, type DuckSession } from '../../shared/duckdb.ts'
import { Errors } from '../../shared/errors.ts'
import { ROW_COLUMNS } from './row-file.ts'

/**
 * Rows per row group: 256 Ki rows are a few MB compressed, large enough for sequential scans and good zstd ratios,
 * small enough that a full file (2 M rows by default) still gives a scan 8 row groups to run in parallel.
 */
export const ROW_GROUP_ROWS = 262_144

const csvColumns = `{${ROW_COLUMNS.map(([name, type]) => `${quoteLiteral(name)}: ${quoteLiteral(type)}`).join(', ')}}`

function selectRows(csvPath: string): string {
  return `SELECT event_id, epoch_ms(ts) AT TIME ZONE 'UTC' AS ts, epoch_ms(arrived_at) AT TIME ZONE 'UTC' AS arrived_at,
      user_id, song_id, artist_id, type, ms_played, device, country, kafka_partition, kafka_offset
    FROM read_csv(${quoteLiteral(csvPath)}, header = false, auto_detect = false, delim = ',', quote = '"', escape = '"',
      columns = ${csvColumns})
    ORDER BY kafka_offset`
}

export class ParquetWriter {
  /** One DuckDB connection runs one statement at a time: a lookup waits for a write in flight, and vice versa. */
  private tail: Promise<unknown> = Promise.resolve()

  private constructor(private readonly duck: DuckSession) {}

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn)
    this.tail = run.catch(() => undefined)
    return run
  }

  static async create(config: Readonly<Config>): Promise<ParquetWriter> {
    return new ParquetWriter(await openDuck(config))
  }

  /** Writes the rows of `csvPath` to the local Parquet file `outPath`. */
  async write(csvPath: string, outPath: string): Promise<void> {
    await this.exclusive(() => this.duck.conn.run(`COPY (${selectRows(csvPath)}) TO ${quoteLiteral(outPath)}
      (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${ROW_GROUP_ROWS})`))
  }

  /** The last kafka_offset of an existing events file (a local path or an s3:// location). */
  async lastOffset(location: string): Promise<number> {
    try {
      const reader = await this.exclusive(() => this.duck.conn.runAndReadAll(`SELECT max(kafka_offset) FROM read_parquet(${quoteLiteral(location)})`))
      const value = reader.getRows()[0]?.[0]
      if (value === null || value === undefined) throw new Errors.LAKE_IO(`${location} holds no rows`)
      return Number(value)
    } catch (err) {
      if ((err as { code?: string }).code === 'PLAYCOUNT_LAKE_IO') throw err
      throw new Errors.LAKE_IO(`reading ${location}: ${(err as Error).message}`, { cause: err })
    }
  }

  /** Closes the session once the statement in flight (if any) is done. */
  async close(): Promise<void> {
    await this.tail
    this.duck.close()
  }
}
