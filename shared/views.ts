/**
 * Reading the batch views' manifest (layout.ts VIEWS_MANIFEST_KEY). The batch job writes it last, so a reader sees
 * one whole run or the one before it. Minimal version written by the serving layer; the batch layer owns it.
 */
import { Errors } from './errors.ts'
import type { Lake } from './lake.ts'
import { VIEWS_MANIFEST_KEY, type ViewsManifest } from './layout.ts'

/** The current manifest, or undefined before the first batch run. */
export async function readViewsManifest(lake: Lake): Promise<ViewsManifest | undefined> {
  const bytes = await lake.get(VIEWS_MANIFEST_KEY)
  if (bytes === undefined) return undefined
  try {
    return JSON.parse(bytes.toString('utf8')) as ViewsManifest
  } catch (err) {
    throw new Errors.LAKE_IO(`${lake.location(VIEWS_MANIFEST_KEY)} is not valid JSON`, { cause: err })
  }
}

/** The views a batch run writes (batch-layer/nightly/views-sql.ts defines their columns). */
export const BATCH_VIEW_NAMES = [
  'song_daily',
  'artist_daily',
  'artist_country_daily',
  'song_device_daily',
  'top_songs_daily',
  'song_breakdown_daily',
  'artist_breakdown_daily',
] as const
export type BatchViewName = (typeof BATCH_VIEW_NAMES)[number]

const DAY_FILE = /\/day=(\d{4}-\d{2}-\d{2})\.parquet$/

/** The event day a view file holds, from its key `views/runs/<runId>/<view>/day=YYYY-MM-DD.parquet`. */
export function viewFileDay(key: string): string | undefined {
  return DAY_FILE.exec(key)?.[1]
}

/** The lake keys of one view's files, optionally only those of days in [from, to] (inclusive, YYYY-MM-DD). */
export function viewFiles(
  manifest: ViewsManifest | undefined,
  view: string,
  range: { from?: string; to?: string } = {},
): string[] {
  const keys = manifest?.views[view] ?? []
  if (range.from === undefined && range.to === undefined) return [...keys]
  return keys.filter((k) => {
    const day = viewFileDay(k)
    if (day === undefined) return true
    return (range.from === undefined || day >= range.from) && (range.to === undefined || day <= range.to)
  })
}
