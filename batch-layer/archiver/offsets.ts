/** Where each partition of the topic stands: its log start and end, and where this archiver's group resumes. */
import type { Admin } from 'kafkajs'
import type { ArchiveProgress } from '../../shared/layout.ts'
import { topicOffsets } from '../../shared/kafka.ts'

/** Per partition, the first offset still in the log and the log end (the offset the next message gets). */
export interface LogBounds {
  start: Map<number, number>
  end: Map<number, number>
}

/** Each partition's log start and end (retried: shared/kafka.ts `topicOffsets`). */
export async function logBounds(admin: Admin, topic: string): Promise<LogBounds> {
  const rows = await topicOffsets(admin, topic)
  return {
    start: new Map(rows.map((r) => [r.partition, Number(r.low)])),
    end: new Map(rows.map((r) => [r.partition, Number(r.high)])),
  }
}

/** The group's committed offset per partition (absent when it never committed). */
export async function committedOffsets(admin: Admin, groupId: string, topic: string): Promise<Map<number, number>> {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] })
  const out = new Map<number, number>()
  for (const p of entry?.partitions ?? []) if (Number(p.offset) >= 0) out.set(p.partition, Number(p.offset))
  return out
}

/**
 * Where reading resumes: the committed offset, or the progress document when it is ahead (a crash between
 * publishing the progress and committing), or the start of the log when neither exists.
 */
export function resumeOffset(
  committed: number | undefined,
  progress: ArchiveProgress | undefined,
  logStart: number,
): number {
  return Math.max(committed ?? logStart, progress === undefined ? 0 : Number(progress.nextOffset), logStart)
}
