/**
 * One partition's archive state: the open file of the current arrival hour, where reading resumes, and how far
 * the arrival hours are complete. What ends a file decides whether a rewrite after a crash is the same object:
 * - a message of a later hour, or the clock past the hour's end plus the grace while caught up: the file then
 *   holds every message of its hour from its first offset, a fact of the log;
 * - `maxRows` valid rows since the file's first offset: a fact of the log too;
 * - a drain (or any other cut the log does not determine): the file's end is recorded by the file itself.
 *   Before a file is opened at offset o, an existing object under the same key is looked for; if there is one,
 *   its last kafka_offset is where it ends, and the next valid message after it opens a further part.
 * So the same key never gets different content, and no message lands in two files.
 *
 * A closed file is handed to the writer queue and reading goes on meanwhile; until the file is durable it holds
 * `nextOffset` and `closedThrough` back, so nothing published or committed runs ahead of the lake.
 */
import type { EventIssue } from '../../shared/event.ts'
import { HOUR_MS, hourStart } from '../../shared/layout.ts'
import type { RejectionWithBytes } from './row-encoder.ts'
import type { RowFile } from './row-file.ts'

/** A Kafka batch of the partition with its rows encoded (row-encoder.ts): message k has offsets[k], arrivals[k]. */
export interface ArchiveBatch {
  count: number
  offsets: Float64Array
  arrivals: Float64Array
  /** Message k's CSV line is `lines[lineEnds[k-1], lineEnds[k])`; an empty line marks an invalid message. */
  lines: Buffer
  lineEnds: Int32Array
  /** The invalid messages: index in the batch, why, and the bytes their dead letters carry. */
  rejections: ReadonlyArray<RejectionWithBytes>
}

export type CloseReason = 'hour' | 'grace' | 'size' | 'drain'

export interface ClosedFile {
  partition: number
  hour: number
  firstOffset: number
  lastOffset: number
  rows: number
  csvPath: string
  reason: CloseReason
}

export interface PartitionDeps {
  maxRows: number
  deadLetter(partition: number, offset: number, value: Uint8Array | null, issue: EventIssue): void
  newRowFile(partition: number, hour: number, firstOffset: number): RowFile
  /** The last offset of the events file already in the lake under this key, if there is one. */
  existingEnd(hour: number, partition: number, firstOffset: number): Promise<number | undefined>
  /**
   * Queues the file to be made durable in the lake (retried until it is); resolves once the queue took it,
   * which may wait for room. `durable` runs when it is in the lake (files in the order queued); the caller then
   * publishes the progress and commits the offset.
   */
  writeFile(file: ClosedFile, durable: () => void): Promise<void>
}

interface OpenFile {
  hour: number
  firstOffset: number
  file: RowFile
}

export class PartitionArchive {
  private open: OpenFile | undefined
  /** Rows of this hour up to `through` are in an existing file (written before a crash or by a drain). */
  private skip: { hour: number; through: number } | undefined
  /** Closed files not yet durable, oldest first. */
  private readonly writing: ClosedFile[] = []
  /** Every arrival hour before this is complete once the files being written are durable. */
  private through: number

  constructor(
    readonly partition: number,
    /** The next offset to look at: every message below it is archived, dead-lettered or in an unwritten file. */
    public position: number,
    closedThrough: number,
    private readonly deps: PartitionDeps,
  ) {
    this.through = closedThrough
  }

  /** Every offset below this is durable (in a file or dead-lettered): the offset to commit and publish. */
  get nextOffset(): number {
    return this.writing[0]?.firstOffset ?? this.open?.firstOffset ?? this.position
  }

  /** Every arrival hour before this (epoch ms) is complete in the lake for this partition. */
  get closedThrough(): number {
    const oldest = this.writing[0]
    return oldest === undefined ? this.through : Math.min(this.through, oldest.hour)
  }

  /** Files closed but not yet durable. */
  get unwritten(): number {
    return this.writing.length
  }

  get openHour(): number | undefined {
    return this.open?.hour
  }

  async add(b: ArchiveBatch): Promise<void> {
    const { offsets, arrivals, lines, lineEnds } = b
    let rejection = 0
    let lineStart = 0
    for (let k = 0; k < b.count; k++) {
      const offset = offsets[k]!
      const start = lineStart
      const end = lineEnds[k]!
      lineStart = end
      if (offset < this.position) {
        if (start === end) rejection++
        continue
      }
      const hour = hourStart(arrivals[k]!)
      // Arrival times (LogAppendTime) do not go back within a partition: a later hour closes the earlier ones.
      if (this.open !== undefined && this.open.hour !== hour) await this.close('hour', hour)
      if (hour > this.through) this.through = hour
      if (start === end) {
        const r = b.rejections[rejection++]!
        this.deps.deadLetter(this.partition, offset, r.value, r.issue)
      } else if (this.skip === undefined || this.skip.hour !== hour || offset > this.skip.through) {
        if (this.open === undefined) await this.openAt(hour, offset)
        this.open?.file.append(lines, start, end, offset)
        if (this.open?.file.backlogged) await this.open.file.drain()
      }
      this.position = offset + 1
      if (this.open !== undefined && this.open.file.rows >= this.deps.maxRows) await this.close('size')
    }
  }

  /** Opens the file starting at `offset`, unless the lake already has it: then its rows are skipped. */
  private async openAt(hour: number, offset: number): Promise<void> {
    const end = await this.deps.existingEnd(hour, this.partition, offset)
    if (end !== undefined) this.skip = { hour, through: end }
    else this.open = { hour, firstOffset: offset, file: this.deps.newRowFile(this.partition, hour, offset) }
  }

  /**
   * Called with the partition caught up at wall-clock time `now`: no message of an hour ending before
   * `now - graceMs` can still arrive, so such an open file is complete and those hours are closed.
   */
  async closeIdle(now: number, graceMs: number): Promise<void> {
    const cutoff = hourStart(now - graceMs)
    if (this.open !== undefined && this.open.hour + HOUR_MS <= cutoff) await this.close('grace', cutoff)
    const bound = this.open === undefined ? cutoff : Math.min(cutoff, this.open.hour)
    if (bound > this.through) this.through = bound
  }

  /** Drain: writes the open file although its hour may get more messages (they go to a further part). */
  async closeForDrain(): Promise<void> {
    if (this.open !== undefined) await this.close('drain')
  }

  private async close(reason: CloseReason, closesThrough?: number): Promise<void> {
    const open = this.open
    if (open === undefined) return
    const file: ClosedFile = {
      partition: this.partition,
      hour: open.hour,
      firstOffset: open.firstOffset,
      lastOffset: open.file.lastOffset,
      rows: open.file.rows,
      csvPath: open.file.path,
      reason,
    }
    this.writing.push(file)
    this.open = undefined
    this.skip = undefined
    if (closesThrough !== undefined && closesThrough > this.through) this.through = closesThrough
    await open.file.finish()
    await this.deps.writeFile(file, () => {
      this.writing.splice(this.writing.indexOf(file), 1)
    })
  }

  /** Forgets the open file without writing it (stop, or the partition went to another member). */
  discard(): void {
    this.open?.file.discard()
    this.open = undefined
    this.skip = undefined
  }
}
