/**
 * The batch views as the serving layer loads them: from an S3 lake (real MinIO, DuckDB httpfs), with `day` as DATE
 * or VARCHAR, picked up by the manifest poll, and a broken run never replacing the views being served.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { openDuck, quoteLiteral } from '../../../shared/duckdb.ts'
import { openLake } from '../../../shared/lake.ts'
import { VIEWS_MANIFEST_KEY } from '../../../shared/layout.ts'
import { createLogger } from '../../../shared/logger.ts'
import { createRegistry } from '../../../shared/telemetry.ts'
import { BatchViews } from '../../../serving-layer/batch/batch-views.ts'
import { parseDay } from '../../../shared/day.ts'
import { eventually, testS3Config } from '../../helpers.ts'
import { writeBatchRun } from '../support/batch-run.ts'
import { testCatalog } from '../support/data.ts'
import type { ArrivedEvent } from '../support/events-realtime-view.ts'

const T0 = Date.UTC(2026, 0, 10)
const play = (i: number, songId: string, userId: string): ArrivedEvent => ({
  event: { eventId: `e${i}`, ts: T0 + i * 1000, userId, songId, type: 'play', msPlayed: 100 },
  arrivedAt: T0 + i * 1000,
  partition: 0,
})

describe('BatchViews', () => {
  it('loads views from an S3 lake when the manifest changes, and keeps serving the old ones when a run is broken', async () => {
    const config = await testS3Config()
    const lake = openLake(config)
    const catalog = testCatalog(1, 2)
    const views = new BatchViews(config, lake, createLogger({ level: 'silent' }), createRegistry(), { pollMs: 50 })
    expect(await views.refresh()).toBe(false)
    expect(views.loaded).toBe(true)
    expect(views.current.watermark).toBe(0)

    views.start()
    try {
      const events = [play(1, 's0-0', 'u1'), play(2, 's0-0', 'u2'), play(3, 's0-1', 'u1')]
      await writeBatchRun(config, lake, catalog, events, T0 + 3_600_000, 'run-1')
      await eventually(
        async () => (views.current.manifest?.runId === 'run-1' ? true : undefined),
        10_000,
        'the poll to load run-1',
      )
      const day = parseDay('2026-01-10')!
      expect(views.current.indexes.song.get('s0-0', day)).toMatchObject({ plays: 2, listeners: 2, msPlayed: 200 })
      expect(views.current.indexes.artist.get('a0', day)).toMatchObject({ plays: 3, listeners: 2 })

      const served = views.current
      await lake.putBytes(
        VIEWS_MANIFEST_KEY,
        JSON.stringify({ ...served.manifest, runId: 'run-broken', views: { song_daily: ['views/missing.parquet'] } }),
      )
      await eventually(async () => (views.lastError ? true : undefined), 10_000, 'the broken run to be tried')
      expect(views.current).toBe(served)
    } finally {
      views.stop()
      lake.close()
    }
  })

  it('reads a view whose day column is a YYYY-MM-DD string', async () => {
    const config = await testS3Config()
    const lake = openLake(config)
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'playcount-view-'))
    const duck = await openDuck(config)
    try {
      const file = path.join(dir, 'artist_daily.parquet')
      await duck.conn
        .run(`COPY (SELECT '2026-01-10' AS day, 'a0' AS artist_id, 7 AS plays, 1 AS completes, 0 AS skips, 0 AS likes,
        0 AS dislikes, 1000 AS ms_played, 4 AS listeners) TO ${quoteLiteral(file)} (FORMAT parquet)`)
      await lake.putFile('views/r/artist_daily.parquet', file)
      await lake.putBytes(
        VIEWS_MANIFEST_KEY,
        JSON.stringify({
          runId: 'r',
          watermark: T0,
          createdAt: '',
          views: { artist_daily: ['views/r/artist_daily.parquet'] },
          days: null,
          previousWatermark: 0,
        }),
      )
      const views = new BatchViews(config, lake, createLogger({ level: 'silent' }), createRegistry(), {
        pollMs: 60_000,
      })
      expect(await views.refresh()).toBe(true)
      expect(views.current.indexes.artist.get('a0', parseDay('2026-01-10')!)).toEqual({
        plays: 7,
        completes: 1,
        skips: 0,
        likes: 0,
        dislikes: 0,
        msPlayed: 1000,
        listeners: 4,
      })
      expect(views.current.indexes.song.rows).toBe(0)
    } finally {
      duck.close()
      lake.close()
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
