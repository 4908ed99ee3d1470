/**
 * Reading and assembling the views manifest. Readers outside the batch layer use shared/views.ts (the serving
 * layer must not import batch-layer); these names are the batch layer's own handles on the same functions.
 */
import type { Lake } from '../../shared/lake.ts'
import { VIEWS_MANIFEST_KEY, type ViewsManifest } from '../../shared/layout.ts'
import { BATCH_VIEW_NAMES, readViewsManifest, viewFileDay, viewFiles } from '../../shared/views.ts'

export { viewFiles, viewFileDay }

export function readManifest(lake: Lake): Promise<ViewsManifest | undefined> {
  return readViewsManifest(lake)
}

export function runPrefix(runId: string): string {
  return `views/runs/${runId}/`
}

export function viewFileKey(runId: string, view: string, day: string): string {
  return `${runPrefix(runId)}${view}/day=${day}.parquet`
}

/**
 * The next manifest: the previous run's files for the days this run did not recompute, this run's files for the
 * days it did (a recomputed day without rows has no file any more).
 */
export function nextManifest(
  prev: ViewsManifest | undefined,
  next: {
    runId: string
    watermark: number
    recomputed: ReadonlySet<string>
    written: Record<string, Record<string, string>>
  },
): ViewsManifest {
  const views: Record<string, string[]> = {}
  let from: string | undefined
  let to: string | undefined
  for (const view of BATCH_VIEW_NAMES) {
    const byDay = new Map<string, string>()
    for (const key of prev?.views[view] ?? []) {
      const day = viewFileDay(key)
      if (day !== undefined && !next.recomputed.has(day)) byDay.set(day, key)
    }
    for (const [day, key] of Object.entries(next.written[view] ?? {})) byDay.set(day, key)
    const days = [...byDay.keys()].sort()
    views[view] = days.map((d) => byDay.get(d) as string)
    if (days.length > 0) {
      if (from === undefined || days[0]! < from) from = days[0]
      if (to === undefined || days[days.length - 1]! > to) to = days[days.length - 1]
    }
  }
  return {
    runId: next.runId,
    watermark: next.watermark,
    createdAt: new Date().toISOString(),
    views,
    days: from !== undefined && to !== undefined ? { from, to } : null,
    previousWatermark: prev?.watermark ?? 0,
  }
}

/** Swaps the manifest: one atomic object write, the last write of a run. */
export async function writeManifest(lake: Lake, manifest: ViewsManifest): Promise<void> {
  await lake.putBytes(VIEWS_MANIFEST_KEY, `${JSON.stringify(manifest, null, 2)}\n`)
}
