/** Puts a listener segments run in a test lake as the nightly job leaves one: its Parquet file, then latest.json. */
import path from 'node:path'
import type { Config } from '../../../shared/config.ts'
import { openDuck, quoteLiteral } from '../../../shared/duckdb.ts'
import { openLake } from '../../../shared/lake.ts'
import { SEGMENTS_LATEST_KEY, segmentsFileKey } from '../../../shared/segments.ts'

export const SEGMENTS_AS_OF = '2026-03-28'

/** A centroid of every feature but premium, as a run written before premium existed has. */
export const HABIT_CENTROID = {
  plays_per_active_day: 1,
  distinct_artists: 1,
  skip_rate: 0.5,
  complete_share: 0.5,
  night_share: 0.1,
  days_since_last_play: 1,
}

/**
 * `select`: the file's rows (user_id, features, segment, segment_name); `run`: the summary's k, listeners and
 * segments, untyped so a test can write a run of an older shape.
 */
export async function putSegments(
  config: Readonly<Config>,
  select: string,
  run: Record<string, unknown>,
): Promise<void> {
  const file = path.join(config.home, 'seg.parquet')
  const duck = await openDuck(config)
  try {
    await duck.conn.run(`COPY (${select}) TO ${quoteLiteral(file)} (FORMAT parquet)`)
  } finally {
    duck.close()
  }
  const lake = openLake(config)
  try {
    const key = segmentsFileKey(SEGMENTS_AS_OF)
    await lake.putFile(key, file)
    const summary = {
      asOf: SEGMENTS_AS_OF,
      from: '2026-03-01T00:00:00.000Z',
      to: '2026-03-29T00:00:00.000Z',
      seed: 42,
      ...run,
      file: key,
    }
    await lake.putBytes(SEGMENTS_LATEST_KEY, JSON.stringify(summary))
  } finally {
    lake.close()
  }
}
