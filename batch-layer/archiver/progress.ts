/** The per-partition archive progress documents in the lake (shared/layout.ts `ArchiveProgress`). */
import type { Lake } from '../../shared/lake.ts'
import { archiveProgressKey, type ArchiveProgress } from '../../shared/layout.ts'

export async function loadProgress(lake: Lake, topic: string, partition: number): Promise<ArchiveProgress | undefined> {
  const bytes = await lake.get(archiveProgressKey(topic, partition))
  return bytes === undefined ? undefined : (JSON.parse(bytes.toString('utf8')) as ArchiveProgress)
}

export async function saveProgress(lake: Lake, progress: ArchiveProgress): Promise<void> {
  await lake.putBytes(archiveProgressKey(progress.topic, progress.partition), `${JSON.stringify(progress)}\n`)
}
