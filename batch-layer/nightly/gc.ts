/**
 * Removing view files no reader can need: everything under views/runs/ that neither the new manifest nor the one
 * before it names. The previous run's files stay, since a reader may have read the old manifest a moment ago;
 * files of a run killed before its manifest (never visible to anyone) go here too.
 */
import type { Lake } from '../../shared/lake.ts'
import type { ViewsManifest } from '../../shared/layout.ts'
import type { Logger } from '../../shared/logger.ts'
import { fileIndexKey } from './plan.ts'

export async function removeUnreferencedViewFiles(
  lake: Lake,
  keep: ReadonlyArray<ViewsManifest | undefined>,
  log: Logger,
): Promise<number> {
  const referenced = new Set<string>()
  for (const m of keep) {
    if (m === undefined) continue
    referenced.add(fileIndexKey(m.runId))
    for (const keys of Object.values(m.views)) for (const k of keys) referenced.add(k)
  }
  let removed = 0
  for (const key of await lake.list('views/runs/')) {
    if (referenced.has(key)) continue
    await lake.delete(key)
    removed++
  }
  if (removed > 0) log.debug({ removed }, 'removed unreferenced view files')
  return removed
}
