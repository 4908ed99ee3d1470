/**
 * The archiver's write queue: closed files are made durable in the lake while consumption goes on. DuckDB converts
 * up to CONVERSIONS at a time (parquet-writer.ts) and the lake takes them one at a time, in the order closed, a put
 * overlapping the next conversions. At most MAX_QUEUED_FILES wait, so disk holds at most that many closed CSVs beside
 * the open ones; a further close waits for room (backpressure on the partition state, hence on consumption).
 */
import fastq from 'fastq'
import type { ClosedFile } from './partition-archive.ts'
import { CONVERSIONS } from './parquet-writer.ts'
import type { FileSink } from './file-sink.ts'

/** Enough for CONVERSIONS files to be converted while the one before them is put into the lake. */
export const MAX_QUEUED_FILES = CONVERSIONS + 1

export interface WriteQueueDeps {
  sink: FileSink
  signal: AbortSignal
  /** Retries a lake write until it succeeds or the archiver stops. */
  durably: <T>(what: string, fn: () => Promise<T>) => Promise<T>
  /** The file is in the lake (files in the order queued). */
  written: (file: ClosedFile) => void
  /** A write failed for good: the archiver stops. */
  fail: (err: unknown) => void
}

interface PutJob {
  file: ClosedFile
  converted: Promise<string>
  durable: () => void
}

export class WriteQueue {
  /** Puts, one at a time in the order queued. */
  private readonly puts = fastq.promise((job: PutJob) => this.put(job), 1)
  /** Files queued and not yet in the lake (converting, waiting for their put, or being put). */
  private queued = 0
  /** Closes waiting for room, oldest first. */
  private readonly waitingForRoom: Array<() => void> = []

  constructor(private readonly deps: WriteQueueDeps) {}

  /** Queues the file once there is room; `durable` runs when it is in the lake, before `written`. */
  async enqueue(file: ClosedFile, durable: () => void): Promise<void> {
    while (this.queued >= MAX_QUEUED_FILES) await new Promise<void>((resolve) => this.waitingForRoom.push(resolve))
    this.queued++
    const { sink, durably } = this.deps
    const what = `events file p${file.partition} o${file.firstOffset}`
    // Conversions start at once (the writer runs CONVERSIONS of them at a time); puts go in the order closed.
    const converted = durably(`convert ${what}`, () => sink.convert(file))
    converted.catch(() => undefined)
    this.puts
      .push({ file, converted, durable })
      .catch((err: unknown) => this.deps.fail(err))
      .finally(() => {
        this.queued--
        this.waitingForRoom.shift()?.()
      })
  }

  /** Resolves once every file queued is in the lake (or failed). */
  idle(): Promise<void> {
    return this.puts.drained()
  }

  private async put({ file, converted, durable }: PutJob): Promise<void> {
    const parquet = await converted
    if (this.deps.signal.aborted) return
    const { sink } = this.deps
    await this.deps.durably(`put events file p${file.partition} o${file.firstOffset}`, () => sink.put(file, parquet))
    sink.done(file)
    durable()
    this.deps.written(file)
  }
}
