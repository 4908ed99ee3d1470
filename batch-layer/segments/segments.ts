/**
 * The nightly listener segments (docs/ARCHITECTURE.md#segments): features per listener over the trailing window
 * ending at the start of `asOf + 1` day, k-means, then the listeners' features and segments as one Parquet file and a
 * summary (sizes, centroids with the premium share, names, each segment's top artists and how its share of their
 * plays compares) in the lake under views/segments/, with views/segments/latest.json written last.
 */
import fsp from 'node:fs/promises'
import path from 'node:path'
import type { DuckDBConnection } from '@duckdb/node-api'
import { quoteLiteral } from '../../shared/duckdb.ts'
import { dayStartMs, requireDay } from '../../shared/day.ts'
import type { Lake } from '../../shared/lake.ts'
import { CATALOG_LISTENERS_KEY, parseEventsFileKey } from '../../shared/layout.ts'
import {
  SEGMENT_FEATURES,
  SEGMENTS_LATEST_KEY,
  segmentsFileKey,
  segmentsSummaryKey,
  type SegmentsRun,
} from '../../shared/segments.ts'
import { clusterListeners } from './cluster.ts'
import { artistLiftSql, featuresSql } from './features-sql.ts'

export interface SegmentOptions {
  /** The last event day of the window (YYYY-MM-DD, UTC). */
  asOf: string
  windowDays?: number
  k?: number
  seed?: number
  /** A local folder for the Parquet file before it is put in the lake. */
  tmpDir: string
}

export const SEGMENT_DEFAULTS = { windowDays: 28, k: 4, seed: 42 } as const
const VALUES_CHUNK = 1000
const TOP_ARTISTS = 5

export async function computeSegments(
  conn: DuckDBConnection,
  lake: Lake,
  opts: SegmentOptions,
): Promise<SegmentsRun | undefined> {
  const { windowDays, k, seed } = { ...SEGMENT_DEFAULTS, ...opts }
  const last = requireDay(opts.asOf, 'asOf')
  const toIso = new Date(dayStartMs(last + 1)).toISOString()
  const fromIso = new Date(dayStartMs(last + 1 - windowDays)).toISOString()
  // Late events arrive after their day: every archive file from the window's first day on may hold some.
  const fromArrival = dayStartMs(last + 1 - windowDays)
  const keys = (await lake.list('events/')).filter(
    (key) => (parseEventsFileKey(key)?.arrivalHourMs ?? -1) >= fromArrival,
  )
  if (keys.length === 0) return undefined
  const locations = keys.map((key) => lake.location(key))
  const listeners = (await lake.exists(CATALOG_LISTENERS_KEY)) ? lake.location(CATALOG_LISTENERS_KEY) : undefined
  const features = featuresSql(locations, fromIso, toIso, listeners)
  const rows = (await conn.runAndReadAll(features)).getRows()
  if (rows.length === 0) return undefined
  const users = rows.map((r) => String(r[0]))
  const values = rows.map((r) => SEGMENT_FEATURES.map((_, j) => (r[j + 1] === null ? null : Number(r[j + 1]))))
  const c = clusterListeners(values, k, seed)
  const premium = SEGMENT_FEATURES.indexOf('premium')
  const profiles = c.segments.map(() => 0)
  values.forEach((v, i) => {
    if (v[premium] !== null) profiles[c.assignment[i]!]!++
  })

  await conn.run('CREATE OR REPLACE TEMP TABLE seg_assign (user_id VARCHAR, segment INTEGER, segment_name VARCHAR)')
  for (let i = 0; i < users.length; i += VALUES_CHUNK) {
    const tuples = users.slice(i, i + VALUES_CHUNK).map((u, j) => {
      const s = c.assignment[i + j]!
      return `(${quoteLiteral(u)}, ${s}, ${quoteLiteral(c.segments[s]!.name)})`
    })
    await conn.run(`INSERT INTO seg_assign VALUES ${tuples.join(', ')}`)
  }
  const file = path.join(opts.tmpDir, 'listener_segments.parquet')
  await conn.run(`COPY (SELECT f.*, a.segment, a.segment_name FROM (${features}) f JOIN seg_assign a USING (user_id)
    ORDER BY user_id) TO ${quoteLiteral(file)} (FORMAT parquet, COMPRESSION zstd)`)
  const lifts = (
    await conn.runAndReadAll(artistLiftSql(locations, fromIso, toIso, 'seg_assign', TOP_ARTISTS))
  ).getRows()
  await conn.run('DROP TABLE seg_assign')

  const run: SegmentsRun = {
    asOf: opts.asOf,
    from: fromIso,
    to: toIso,
    k,
    seed,
    listeners: users.length,
    file: segmentsFileKey(opts.asOf),
    segments: c.segments.map((s, i) => ({
      segment: i,
      name: s.name,
      size: s.size,
      centroid: s.centroid,
      profiles: profiles[i]!,
      topArtists: lifts
        .filter((r) => Number(r[0]) === i)
        .map((r) => ({ artistId: String(r[1]), plays: Number(r[2]), share: Number(r[3]), lift: Number(r[4]) })),
    })),
  }
  await lake.putFile(run.file, file)
  await fsp.rm(file, { force: true })
  await lake.putBytes(segmentsSummaryKey(opts.asOf), JSON.stringify(run, null, 2))
  await lake.putBytes(SEGMENTS_LATEST_KEY, JSON.stringify(run, null, 2))
  return run
}
