/**
 * Where things live in the lake (docs/ARCHITECTURE.md#lake), and the small JSON documents that the archiver, the
 * batch job and the readers exchange through it.
 */
import { dayOfMs, formatDay } from './day.ts'

export { DAY_MS } from './day.ts'
export const HOUR_MS = 3_600_000

/** The UTC day of an instant as 'YYYY-MM-DD' (lake keys and other text edges; in-process use shared/day.ts). */
export function dayOf(epochMs: number): string {
  return formatDay(dayOfMs(epochMs))
}

export function hourStart(epochMs: number): number {
  return Math.floor(epochMs / HOUR_MS) * HOUR_MS
}

/** `events/dt=YYYY-MM-DD/hour=HH/part-p{partition}-o{firstOffset}.parquet`, by ARRIVAL hour (UTC). */
export function eventsFileKey(arrivalHourMs: number, partition: number, firstOffset: string | bigint | number): string {
  const iso = new Date(arrivalHourMs).toISOString()
  return `events/dt=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}/part-p${partition}-o${String(firstOffset)}.parquet`
}

const EVENTS_KEY = /^events\/dt=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})\/part-p(\d+)-o(\d+)\.parquet$/

export function parseEventsFileKey(
  key: string,
): { arrivalHourMs: number; partition: number; firstOffset: bigint } | undefined {
  const m = EVENTS_KEY.exec(key)
  if (!m) return undefined
  return {
    arrivalHourMs: Date.parse(`${m[1]}T${m[2]}:00:00Z`),
    partition: Number(m[3]),
    firstOffset: BigInt(m[4] ?? '0'),
  }
}

export const CATALOG_ARTISTS_KEY = 'catalog/artists.parquet'
export const CATALOG_SONGS_KEY = 'catalog/songs.parquet'
/** Listener profiles (shared/catalog/listeners.ts); optional: without it every listener is `unknown`. */
export const CATALOG_LISTENERS_KEY = 'catalog/listeners.parquet'

/** Archive progress, one document per partition, written by the archiver after each durable write. */
export function archiveProgressKey(topic: string, partition: number): string {
  return `archive/${topic}/progress/p${partition}.json`
}
export function archiveProgressPrefix(topic: string): string {
  return `archive/${topic}/progress/`
}

/**
 * A dead letter the DLQ refused or kept failing on (shared/dlq.ts), kept whole in the lake before the archiver
 * commits past it: one JSON document per source message, its name and content determined by the log.
 */
export function deadLetterKey(topic: string, partition: number, offset: string): string {
  return `deadletters/topic=${topic}/p${partition}-o${offset}.json`
}
export function deadLetterPrefix(topic: string): string {
  return `deadletters/topic=${topic}/`
}

export interface ArchiveProgress {
  topic: string
  partition: number
  /** The next offset to archive: every offset below it is in a durable file. */
  nextOffset: string
  /** Every arrival hour that starts before this (epoch ms, an hour boundary) is complete for this partition. */
  closedThrough: number
  updatedAt: string
}

/** The batch views' manifest: swapped last, so a reader sees one whole run or the one before it. */
export const VIEWS_MANIFEST_KEY = 'views/manifest.json'

export interface ViewsManifest {
  runId: string
  /** The watermark W (epoch ms, an arrival-hour boundary): the views hold every event that arrived before W. */
  watermark: number
  createdAt: string
  /** View name (song_daily, artist_daily, ...) to the lake keys of its Parquet files. */
  views: Record<string, string[]>
  /** Event days covered by the views (inclusive), if any. */
  days: { from: string; to: string } | null
  /** The watermark of the previous manifest: speed layers keep buckets from here until every reader moved on. */
  previousWatermark: number
}
