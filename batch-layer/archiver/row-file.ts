/**
 * The rows of one open events file, buffered on disk as CSV so a huge hour costs disk, not memory: only
 * FLUSH_BYTES of text per open file stay in memory before they are appended to the temporary file.
 */
import fs from 'node:fs'
import type { ListenEvent } from '../../shared/event.ts'

const FLUSH_BYTES = 256 * 1024
const NEEDS_QUOTES = /[",\r\n]/

/** A CSV field; DuckDB reads an unquoted empty field as NULL, so an empty string is quoted. */
function field(s: string): string {
  if (s === '' || NEEDS_QUOTES.test(s)) return `"${s.replaceAll('"', '""')}"`
  return s
}

/** One row in the column order of ROW_COLUMNS; optional fields are left empty (NULL). */
export function encodeRow(e: ListenEvent, artistId: string, arrivedAt: number, partition: number, offset: number): string {
  return `${field(e.eventId)},${e.ts},${arrivedAt},${field(e.userId)},${field(e.songId)},${field(artistId)},${e.type},` +
    `${e.msPlayed ?? ''},${e.device ?? ''},${e.country === undefined ? '' : field(e.country)},${partition},${offset}\n`
}

/** The CSV columns as DuckDB reads them; the times are epoch milliseconds here and TIMESTAMPTZ in Parquet. */
export const ROW_COLUMNS: ReadonlyArray<readonly [string, string]> = [
  ['event_id', 'VARCHAR'], ['ts', 'BIGINT'], ['arrived_at', 'BIGINT'], ['user_id', 'VARCHAR'], ['song_id', 'VARCHAR'],
  ['artist_id', 'VARCHAR'], ['type', 'VARCHAR'], ['ms_played', 'INTEGER'], ['device', 'VARCHAR'], ['country', 'VARCHAR'],
  ['kafka_partition', 'INTEGER'], ['kafka_offset', 'BIGINT'],
]

export class RowFile {
  private readonly fd: number
  private pending = ''
  rows = 0
  lastOffset = -1

  constructor(readonly path: string) {
    this.fd = fs.openSync(path, 'w')
  }

  append(line: string, offset: number): void {
    this.pending += line
    this.rows++
    this.lastOffset = offset
    if (this.pending.length >= FLUSH_BYTES) this.flush()
  }

  private flush(): void {
    if (this.pending.length === 0) return
    fs.writeSync(this.fd, this.pending)
    this.pending = ''
  }

  /** Writes what is pending and closes the file; it stays on disk for the Parquet writer. */
  finish(): void {
    this.flush()
    fs.closeSync(this.fd)
  }

  /** Closes and deletes the file (a discarded buffer, e.g. on stop or a lost partition). */
  discard(): void {
    try {
      fs.closeSync(this.fd)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EBADF') throw err
    }
    fs.rmSync(this.path, { force: true })
  }
}
