/**
 * The consuming thread's record of one assigned partition: how far it was read, whether it is rebuilt, and from
 * which arrival time it is held. The counts themselves live in the engine (engine.ts); batches reach the engine in
 * the order they were read, and so do queries, so a query sent after a batch sees that batch counted.
 */
export interface PartitionStart {
  partition: number
  /** Arrival time from which this state counts every event (a watermark); earlier arrivals only fill the dedup. */
  heldFrom: number
  /** First offset read (at heldFrom minus the dedup warm-up). */
  startOffset: number
  /** The log end offset seen at assignment: the partition is ready once it read up to here. */
  endOffset: number
}

export class PartitionState {
  readonly partition: number
  heldFrom: number
  /** Every offset below this one is counted by the engine. */
  nextOffset: number
  /** Every offset below this one is read and handed to the engine (ahead of nextOffset by the batches in flight). */
  readOffset: number
  readonly endAtAssignment: number
  logEnd: number
  ready: boolean
  readonly assignedAt = Date.now()
  rebuildMs: number | undefined
  counted = 0
  duplicates = 0

  constructor(s: PartitionStart) {
    this.partition = s.partition
    this.heldFrom = s.heldFrom
    this.nextOffset = s.startOffset
    this.readOffset = s.startOffset
    this.endAtAssignment = s.endOffset
    this.logEnd = s.endOffset
    this.ready = false
    this.progress(s.startOffset)
  }

  /** Records that every offset below `nextOffset` was counted; the partition turns ready at the end seen at assignment. */
  progress(nextOffset: number): void {
    if (nextOffset > this.nextOffset) this.nextOffset = nextOffset
    if (this.nextOffset > this.readOffset) this.readOffset = this.nextOffset
    if (this.nextOffset > this.logEnd) this.logEnd = this.nextOffset
    if (!this.ready && this.nextOffset >= this.endAtAssignment) {
      this.ready = true
      this.rebuildMs = Date.now() - this.assignedAt
    }
  }

  get lag(): number {
    return Math.max(0, this.logEnd - this.nextOffset)
  }
}
