/**
 * The rows of one open events file, buffered on disk as CSV so a huge hour costs disk, not memory. Text is
 * handed to the file system in FLUSH_BYTES chunks written by libuv's thread pool, so the consuming thread does
 * not wait for the disk; at most MAX_BACKLOG_BYTES of text per open file are held before `drain()` must be awaited.
 */
import fs from 'node:fs'
import type { ListenEvent } from '../../shared/event.ts'

const FLUSH_BYTES = 256 * 1024
const MAX_BACKLOG_BYTES = 4 * FLUSH_BYTES
const NEEDS_QUOTES = /[",\r\n]/

/** A CSV field; DuckDB reads an unquoted empty field as NULL, so an empty string is quoted. */
function field(s: string): string {
  if (s === '' || NEEDS_QUOTES.test(s)) return `"${s.replaceAll('"', '""')}"`
  return s
}

/**
 * One row in the column order of ROW_COLUMNS; optional fields are left empty (NULL). The event contract already
 * rules out quotes, commas and line breaks in userId (pattern), type and device (literals) and country (two
 * capitals), so only the free-form strings go through `field`.
 */
export function encodeRow(e: ListenEvent, artistId: string, arrivedAt: number, partition: number, offset: number): string {
  return `${field(e.eventId)},${e.ts},${arrivedAt},${e.userId},${field(e.songId)},${field(artistId)},${e.type},` +
    `${e.msPlayed ?? ''},${e.device ?? ''},${e.country ?? ''},${partition},${offset}\n`
}

/** The CSV columns as DuckDB reads them; the times are epoch milliseconds here and TIMESTAMPTZ in Parquet. */
export const ROW_COLUMNS: ReadonlyArray<readonly [string, string]> = [
  ['event_id', 'VARCHAR'], ['ts', 'BIGINT'], ['arrived_at', 'BIGINT'], ['user_id', 'VARCHAR'], ['song_id', 'VARCHAR'],
  ['artist_id', 'VARCHAR'], ['type', 'VARCHAR'], ['ms_played', 'INTEGER'], ['device', 'VARCHAR'], ['country', 'VARCHAR'],
  ['kafka_partition', 'INTEGER'], ['kafka_offset', 'BIGINT'],
]

function writeAll(fd: number, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    fs.write(fd, bytes, 0, bytes.length, null, (err, written) => {
      if (err) reject(err)
      else if (written < bytes.length) writeAll(fd, bytes.subarray(written)).then(resolve, reject)
      else resolve()
    })
  })
}

export class RowFile {
  private readonly fd: number
  private pending = ''
  /** Chunks handed to the thread pool, written one after the other in order. */
  private writing: Promise<void> = Promise.resolve()
  private backlog = 0
  private failure: Error | undefined
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

  /** True when so much text waits for the disk that the caller should `await drain()` before appending more. */
  get backlogged(): boolean {
    return this.backlog >= MAX_BACKLOG_BYTES
  }

  /** Resolves once every chunk handed over so far is written. */
  async drain(): Promise<void> {
    await this.writing
    if (this.failure) throw this.failure
  }

  private flush(): void {
    if (this.pending.length === 0) return
    // Encoded at once: the text is a rope of many small strings, and keeping it alive until its write would
    // drag every piece through the garbage collector's old generation.
    const chunk = Buffer.from(this.pending, 'utf8')
    this.pending = ''
    this.backlog += chunk.length
    this.writing = this.writing.then(() => writeAll(this.fd, chunk)).then(
      () => { this.backlog -= chunk.length },
      (err: unknown) => { this.failure ??= err as Error },
    )
  }

  /** Writes what is pending and closes the file; it stays on disk for the Parquet writer. */
  async finish(): Promise<void> {
    this.flush()
    await this.drain()
    fs.closeSync(this.fd)
  }

  /** Closes and deletes the file (a discarded buffer, e.g. on stop or a lost partition). */
  discard(): void {
    this.pending = ''
    // A chunk still in flight would write to a closed (or reused) descriptor: close once the chunks are done
    // (`writing` never rejects; a failure is kept in `failure`).
    void this.writing.then(() => {
      fs.closeSync(this.fd)
      fs.rmSync(this.path, { force: true })
    })
  }
}
