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
