/**
 * The archiver's checkpoint protocol, per partition, after a file is durable in the lake (or on a tick): the dead
 * letters found so far are kept (DLQ or lake), then the progress document is published, then the offset is
 * committed. A crash between two steps is repaired by the next start: it resumes from the later of the commit and
 * the progress document (offsets.ts `resumeOffset`), and a file already in the lake is not written twice
 * (partition-archive.ts). So nothing published or committed runs ahead of the lake.
 */
import type { Consumer } from 'kafkajs'
import type { Config } from '../../shared/config.ts'
import type { Lake } from '../../shared/lake.ts'
import type { ArchiveProgress } from '../../shared/layout.ts'
import type { Logger } from '../../shared/logger.ts'
import { failpoint } from './failpoint.ts'
import type { PartitionArchive } from './partition-archive.ts'
import { saveProgress } from './progress.ts'
import type { ArchiverTelemetry } from './telemetry.ts'

export interface CheckpointDeps {
  config: Readonly<Config>
  lake: Lake
  log: Logger
  telemetry: ArchiverTelemetry
  consumer: () => Consumer
  /** Keeps every pending dead letter (DLQ or lake); the first step of a checkpoint. */
  keepDeadLetters: () => Promise<void>
  durably: <T>(what: string, fn: () => Promise<T>) => Promise<T>
}

/** What this member last published and committed for a partition. */
interface Marks {
  published?: { nextOffset: number; closedThrough: number }
  committed?: number
}

export class Checkpoints {
  private readonly marks = new Map<number, Marks>()

  constructor(private readonly deps: CheckpointDeps) {}

  /** Where a newly owned partition stands: its progress document and the group's commit, if any. */
  restore(partition: number, progress: ArchiveProgress | undefined, committed: number | undefined): void {
    const m: Marks = {}
    if (progress) m.published = { nextOffset: Number(progress.nextOffset), closedThrough: progress.closedThrough }
    if (committed !== undefined) m.committed = committed
    this.marks.set(partition, m)
  }

  forget(partition: number): void {
    this.marks.delete(partition)
  }

  /** Whether the published progress or the commit lags behind what is durable. */
  changed(a: PartitionArchive): boolean {
    const m = this.marks.get(a.partition)
    if (m === undefined) return false
    return (
      m.published === undefined ||
      m.published.nextOffset !== a.nextOffset ||
      m.published.closedThrough !== a.closedThrough ||
      m.committed !== a.nextOffset
    )
  }

  /** Dead letters, then the progress document, then the Kafka commit; runs with the partition state (serially). */
  async checkpoint(a: PartitionArchive): Promise<void> {
    const m = this.marks.get(a.partition)
    if (m === undefined) return
    const { config, lake, log, telemetry } = this.deps
    const topic = config.kafka.topic
    await this.deps.keepDeadLetters()
    const nextOffset = a.nextOffset
    const closedThrough = a.closedThrough
    await this.deps.durably(`publish archive progress p${a.partition}`, () =>
      saveProgress(lake, {
        topic,
        partition: a.partition,
        nextOffset: String(nextOffset),
        closedThrough,
        updatedAt: new Date().toISOString(),
      }),
    )
    m.published = { nextOffset, closedThrough }
    telemetry.closedThrough.set({ partition: a.partition }, closedThrough / 1000)
    failpoint(config, 'after-progress', log)
    if (m.committed === nextOffset) return
    try {
      await this.deps.consumer().commitOffsets([{ topic, partition: a.partition, offset: String(nextOffset) }])
      m.committed = nextOffset
    } catch (err) {
      // A rebalance can refuse a commit; the progress document already says where to resume, and the next
      // tick (or the next owner) commits again.
      log.warn({ err, partition: a.partition, offset: nextOffset }, 'offset commit refused; retried on the next tick')
    }
  }
}
