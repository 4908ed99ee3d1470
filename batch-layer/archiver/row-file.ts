/**
 * The rows of one open events file, buffered on disk as CSV so a huge hour costs disk, not memory. The lines are not
 * copied: consecutive lines of an encoded batch are one run, a view of that batch's buffer, and runs are handed to
 * the file system (writev by libuv's thread pool, so the consuming thread does not wait for the disk) once
 * FLUSH_BYTES are pending. At most MAX_BACKLOG_BYTES handed over and one batch's lines per open file are held
 * before `drain()` must be awaited.
 */
import fs from 'node:fs'

const FLUSH_BYTES = 256 * 1024
const MAX_BACKLOG_BYTES = 4 * FLUSH_BYTES

/** Writes the chunks in order at the file's position, again from where a short write stopped. */
function writeAll(fd: number, chunks: Buffer[]): Promise<void> {
  return new Promise((resolve, reject) => {
    fs.writev(fd, chunks, (err, written) => {
      if (err) {
        reject(err)
        return
      }
      let i = 0
      for (; i < chunks.length && written >= chunks[i]!.length; i++) written -= chunks[i]!.length
      if (i === chunks.length) resolve()
      else writeAll(fd, [chunks[i]!.subarray(written), ...chunks.slice(i + 1)]).then(resolve, reject)
    })
  })
}

export class RowFile {
  private readonly fd: number
  /** The run being extended: `run[runStart, runEnd)`. */
  private run: Buffer | undefined
  private runStart = 0
  private runEnd = 0
  /** Ended runs not yet handed to the file system. */
  private pending: Buffer[] = []
  private pendingBytes = 0
  /** Chunks handed to the thread pool, written one after the other in order. */
  private writing: Promise<void> = Promise.resolve()
  private backlog = 0
  private failure: Error | undefined
  rows = 0
  lastOffset = -1

  constructor(readonly path: string) {
    this.fd = fs.openSync(path, 'w')
  }

  /**
   * Appends one CSV line, `lines[start, end)`, of the message at `offset`. The bytes are referenced, not copied,
   * until they are written: the caller must not change them.
   */
  append(lines: Buffer, start: number, end: number, offset: number): void {
    if (lines !== this.run || start !== this.runEnd) {
      this.endRun()
      this.run = lines
      this.runStart = start
    }
    this.runEnd = end
    this.rows++
    this.lastOffset = offset
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

  private endRun(): void {
    if (this.run === undefined) return
    this.pending.push(this.run.subarray(this.runStart, this.runEnd))
    this.pendingBytes += this.runEnd - this.runStart
    this.run = undefined
    if (this.pendingBytes >= FLUSH_BYTES) this.flush()
  }

  private flush(): void {
    if (this.pendingBytes === 0) return
    const chunks = this.pending
    const bytes = this.pendingBytes
    this.pending = []
    this.pendingBytes = 0
    this.backlog += bytes
    this.writing = this.writing
      .then(() => writeAll(this.fd, chunks))
      .then(
        () => {
          this.backlog -= bytes
        },
        (err: unknown) => {
          this.failure ??= err as Error
        },
      )
  }

  /** Writes what is pending and closes the file; it stays on disk for the Parquet writer. */
  async finish(): Promise<void> {
    this.endRun()
    this.flush()
    await this.drain()
    fs.closeSync(this.fd)
  }

  /** Closes and deletes the file (a discarded buffer, e.g. on stop or a lost partition). */
  discard(): void {
    this.run = undefined
    this.pending = []
    // A chunk still in flight would write to a closed (or reused) descriptor: close once the chunks are done
    // (`writing` never rejects; a failure is kept in `failure`).
    void this.writing.then(() => {
      fs.closeSync(this.fd)
      fs.rmSync(this.path, { force: true })
    })
  }
}
