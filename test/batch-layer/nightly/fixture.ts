/**
 * Test fixtures for the batch layer: an archive in the lake's layout written with DuckDB from a list of events,
 * the archiver's progress documents, a tiny catalog, and a reference counter built from shared/metrics.ts
 * (`contribution` / `distinctValue`) that computes the views' ground truth in TypeScript.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { EVENTS_PARQUET_OPTIONS } from '../../../batch-layer/archiver/parquet-writer.ts'
import type { Config } from '../../../shared/config.ts'
import { fileList, openDuck, quoteLiteral } from '../../../shared/duckdb.ts'
import type { ListenEvent } from '../../../shared/event.ts'
import type { Lake } from '../../../shared/lake.ts'
import type { ViewsManifest } from '../../../shared/layout.ts'
import {
  CATALOG_ARTISTS_KEY,
  CATALOG_SONGS_KEY,
  archiveProgressKey,
  dayOf,
  eventsFileKey,
  hourStart,
  type ArchiveProgress,
} from '../../../shared/layout.ts'
import { METRICS, contribution, distinctValue, zeroValues, type MetricValues } from '../../../shared/metrics.ts'

export interface ArchivedEvent extends ListenEvent {
  artistId: string
  partition: number
  offset: number
  arrivedAt: number
}

export const SONGS = Array.from({ length: 6 }, (_, i) => ({
  songId: `s${i}`,
  artistId: `a${i % 3}`,
  title: `Song ${i}`,
}))
export const ARTISTS = [0, 1, 2].map((i) => ({ artistId: `a${i}`, name: `Artist ${i}` }))

function lit(v: string | number | undefined, type: string): string {
  if (v === undefined) return `CAST(NULL AS ${type})`
  return typeof v === 'number' ? `CAST(${v} AS ${type})` : quoteLiteral(v)
}

function tsz(ms: number): string {
  return `(epoch_ms(CAST(${ms} AS BIGINT)) AT TIME ZONE 'UTC')`
}

/** Writes the events as archive files, one per (arrival hour, partition), like the archiver. Returns the keys. */
export async function writeArchive(
  config: Readonly<Config>,
  lake: Lake,
  events: readonly ArchivedEvent[],
): Promise<string[]> {
  const groups = new Map<string, ArchivedEvent[]>()
  for (const e of events) {
    const g = `${hourStart(e.arrivedAt)}:${e.partition}`
    groups.set(g, [...(groups.get(g) ?? []), e])
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'playcount-fixture-'))
  const duck = await openDuck(config, { threads: 1 })
  const keys: string[] = []
  try {
    for (const group of groups.values()) {
      const first = group.reduce((m, e) => Math.min(m, e.offset), Infinity)
      const key = eventsFileKey(hourStart(group[0]!.arrivedAt), group[0]!.partition, first)
      const rows = group.map(
        (e) =>
          `(${[
            lit(e.eventId, 'VARCHAR'),
            tsz(e.ts),
            tsz(e.arrivedAt),
            lit(e.userId, 'VARCHAR'),
            lit(e.songId, 'VARCHAR'),
            lit(e.artistId, 'VARCHAR'),
            lit(e.type, 'VARCHAR'),
            lit(e.msPlayed, 'BIGINT'),
            lit(e.device, 'VARCHAR'),
            lit(e.country, 'VARCHAR'),
            lit(e.partition, 'INTEGER'),
            lit(e.offset, 'BIGINT'),
          ].join(', ')})`,
      )
      const file = path.join(tmp, `${keys.length}.parquet`)
      await duck.conn
        .run(`COPY (SELECT event_id, ts, arrived_at, user_id, song_id, artist_id, type, CAST(ms_played AS INTEGER) AS ms_played,
          device, country, kafka_partition, kafka_offset
        FROM (VALUES ${rows.join(',\n')}) t(event_id, ts, arrived_at, user_id, song_id, artist_id, type, ms_played, device, country,
          kafka_partition, kafka_offset) ORDER BY kafka_offset) TO ${quoteLiteral(file)} (${EVENTS_PARQUET_OPTIONS})`)
      await lake.putFile(key, file)
      keys.push(key)
    }
  } finally {
    duck.close()
    fs.rmSync(tmp, { recursive: true, force: true })
  }
  return keys
}

/** The archiver's progress: every partition complete before `closedThrough` (or only those listed). */
export async function writeProgress(
  config: Readonly<Config>,
  lake: Lake,
  closedThrough: number,
  partitions?: number[],
): Promise<void> {
  for (const p of partitions ?? Array.from({ length: config.kafka.partitions }, (_, i) => i)) {
    const doc: ArchiveProgress = {
      topic: config.kafka.topic,
      partition: p,
      nextOffset: '0',
      closedThrough,
      updatedAt: new Date().toISOString(),
    }
    await lake.putBytes(archiveProgressKey(config.kafka.topic, p), JSON.stringify(doc))
  }
}

export async function writeCatalog(config: Readonly<Config>, lake: Lake): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'playcount-catalog-'))
  const duck = await openDuck(config, { threads: 1 })
  try {
    const artists = ARTISTS.map((a) => `(${quoteLiteral(a.artistId)}, ${quoteLiteral(a.name)}, 'pop', 'SE')`).join(', ')
    const songs = SONGS.map(
      (s, i) =>
        `(${quoteLiteral(s.songId)}, ${quoteLiteral(s.artistId)}, ${quoteLiteral(s.title)}, 'pop', ${180_000 + i}, ${i + 1})`,
    ).join(', ')
    await duck.conn.run(
      `COPY (SELECT * FROM (VALUES ${artists}) t(artist_id, name, genre, country)) TO ${quoteLiteral(path.join(tmp, 'a.parquet'))}`,
    )
    await duck.conn
      .run(`COPY (SELECT * FROM (VALUES ${songs}) t(song_id, artist_id, title, genre, duration_ms, popularity_rank))
      TO ${quoteLiteral(path.join(tmp, 's.parquet'))}`)
    await lake.putFile(CATALOG_ARTISTS_KEY, path.join(tmp, 'a.parquet'))
    await lake.putFile(CATALOG_SONGS_KEY, path.join(tmp, 's.parquet'))
  } finally {
    duck.close()
    fs.rmSync(tmp, { recursive: true, force: true })
  }
}

/** Deterministic pseudo-random events: a small xorshift, so a failing test shows the same data again. */
export function makeEvents(opts: {
  n: number
  seed: number
  arrivalFrom: number
  arrivalSpanMs: number
  lateMs?: number
  partitions: number
  firstOffset?: number
}): ArchivedEvent[] {
  let s = opts.seed >>> 0 || 1
  const rnd = (k: number): number => {
    s ^= s << 13
    s >>>= 0
    s ^= s >> 17
    s ^= s << 5
    s >>>= 0
    return s % k
  }
  const types = ['play', 'play', 'play', 'complete', 'skip', 'like', 'dislike', 'pause'] as const
  const devices = ['mobile', 'desktop', 'web', undefined] as const
  const countries = ['SE', 'DE', 'US', undefined] as const
  const out: ArchivedEvent[] = []
  for (let i = 0; i < opts.n; i++) {
    const song = SONGS[rnd(SONGS.length)]!
    const arrivedAt = opts.arrivalFrom + rnd(opts.arrivalSpanMs)
    const user = rnd(7)
    // The Kafka key is the userId: one listener's events are always in the same partition.
    const e: ArchivedEvent = {
      eventId: `e-${opts.seed}-${i}`,
      ts: arrivedAt - 1000 - rnd(opts.lateMs ?? 60_000),
      userId: `u${user}`,
      songId: song.songId,
      artistId: song.artistId,
      type: types[rnd(types.length)]!,
      partition: user % opts.partitions,
      offset: (opts.firstOffset ?? 0) + i,
      arrivedAt,
    }
    if (rnd(4) > 0) e.msPlayed = rnd(200_000)
    const device = devices[rnd(devices.length)]
    if (device !== undefined) e.device = device
    const country = countries[rnd(countries.length)]
    if (country !== undefined) e.country = country
    out.push(e)
  }
  return out
}

/** A retry of `e`: the same event (same id and ts) arriving again later, maybe in another hour. */
export function duplicateOf(e: ArchivedEvent, laterMs: number, offset: number): ArchivedEvent {
  return { ...e, arrivedAt: e.arrivedAt + laterMs, offset }
}

/** The reference counter: per view, key "day|k1|k2" → metric values, over events that arrived before W, deduplicated. */
export function groundTruth(
  events: readonly ArchivedEvent[],
  watermark: number,
): Record<string, Map<string, MetricValues>> {
  const firstCopy = new Map<string, ArchivedEvent>()
  const order = [...events]
    .filter((e) => e.arrivedAt < watermark)
    .sort((a, b) => a.arrivedAt - b.arrivedAt || a.partition - b.partition || a.offset - b.offset)
  for (const e of order) if (!firstCopy.has(e.eventId)) firstCopy.set(e.eventId, e)
  const keyOf: Record<string, (e: ArchivedEvent) => string> = {
    song_daily: (e) => `${dayOf(e.ts)}|${e.songId}`,
    artist_daily: (e) => `${dayOf(e.ts)}|${e.artistId}`,
    artist_country_daily: (e) => `${dayOf(e.ts)}|${e.artistId}|${e.country ?? ''}`,
    song_device_daily: (e) => `${dayOf(e.ts)}|${e.songId}|${e.device ?? ''}`,
  }
  const out: Record<string, Map<string, MetricValues>> = {}
  for (const [view, key] of Object.entries(keyOf)) {
    const values = new Map<string, MetricValues>()
    const sets = new Map<string, Set<string>>()
    for (const e of firstCopy.values()) {
      const k = key(e)
      const v = values.get(k) ?? zeroValues()
      for (const m of METRICS) {
        if (m.kind === 'distinct') {
          const d = distinctValue(m, e)
          if (d === undefined) continue
          const sk = `${k}#${m.name}`
          const set = sets.get(sk) ?? new Set<string>()
          set.add(d)
          sets.set(sk, set)
          v[m.name] = set.size
        } else {
          v[m.name] += contribution(m, e)
        }
      }
      values.set(k, v)
    }
    out[view] = values
  }
  return out
}

const VIEW_KEYS: Record<string, string[]> = {
  song_daily: ['song_id'],
  artist_daily: ['artist_id'],
  artist_country_daily: ['artist_id', 'country'],
  song_device_daily: ['song_id', 'device'],
  song_breakdown_daily: ['song_id', 'dimension', 'value'],
  artist_breakdown_daily: ['artist_id', 'dimension', 'value'],
}

/** A view as the manifest names it, keyed like groundTruth. */
export async function readView(
  config: Readonly<Config>,
  lake: Lake,
  manifest: ViewsManifest,
  view: string,
): Promise<Map<string, MetricValues>> {
  const keys = manifest.views[view] ?? []
  const out = new Map<string, MetricValues>()
  if (keys.length === 0) return out
  const duck = await openDuck(config, { threads: 1 })
  try {
    const idCols = (VIEW_KEYS[view] ?? []).map((c) => `coalesce(${c}, '')`).join(` || '|' || `)
    const metrics = METRICS.map((m) => `CAST(${m.column} AS DOUBLE) AS ${m.column}`).join(', ')
    const r = await duck.conn.runAndReadAll(`SELECT CAST(day AS VARCHAR) || '|' || ${idCols} AS k, ${metrics}
      FROM read_parquet(${fileList(keys.map((k) => lake.location(k)))})`)
    for (const row of r.getRowObjectsJS()) {
      const v = zeroValues()
      for (const m of METRICS) v[m.name] = Number(row[m.column])
      out.set(String(row.k), v)
    }
  } finally {
    duck.close()
  }
  return out
}

/** Rows of a query over the lake, as plain objects (for top-songs checks). */
export async function queryLake(config: Readonly<Config>, sql: string): Promise<Array<Record<string, unknown>>> {
  const duck = await openDuck(config, { threads: 1 })
  try {
    return (await duck.conn.runAndReadAll(sql)).getRowObjectsJson() as Array<Record<string, unknown>>
  } finally {
    duck.close()
  }
}
