/**
 * The DuckDB engine split by partition group (`--shards N`, one process per shard, then a merge): its view files
 * equal an unsplit run's row for row over a lake with duplicates, late events and several days, because a
 * listener's events and an event's retries share a partition. The test also shows why that precondition matters.
 */
import { describe, expect, it } from 'vitest'
import { readRunHistory } from '../../../batch-layer/nightly/history.ts'
import { runBatch } from '../../../batch-layer/nightly/run.ts'
import { runShard, shardPlanKey, type ShardPlan } from '../../../batch-layer/nightly/shards.ts'
import type { BatchProgress } from '../../../batch-layer/nightly/types.ts'
import { openLake } from '../../../shared/lake.ts'
import { HOUR_MS } from '../../../shared/layout.ts'
import { createLogger } from '../../../shared/logger.ts'
import { readViewsManifest } from '../../../shared/views.ts'
import { testConfig } from '../../helpers.ts'
import { dumpViews, W, writeEngineLake } from './engine-equality.ts'
import { readView, writeArchive, writeProgress, type ArchivedEvent } from './fixture.ts'

const log = createLogger({ level: 'silent' })

describe('the DuckDB engine in shards', () => {
  it('writes the same view files as one process, row for row', async () => {
    const config = testConfig({ KAFKA_PARTITIONS: '4' })
    const lake = openLake(config)
    await writeEngineLake(config, lake)
    const one = await runBatch(config, { lake, log })
    expect(one).toMatchObject({ status: 'ok', engine: 'duckdb', shards: 1 })
    const byOne = await dumpViews(config, lake, (await readViewsManifest(lake))!)

    const days = one.daysRecomputed
    const two = await runBatch(config, { lake, log }, { shards: 2, from: days[0]!, to: days[days.length - 1]! })
    expect(two).toMatchObject({
      status: 'ok',
      shards: 2,
      daysRecomputed: days,
      rowsRead: one.rowsRead,
      duplicatesDropped: one.duplicatesDropped,
    })
    expect(one.duplicatesDropped).toBeGreaterThan(0)
    const byTwo = await dumpViews(config, lake, (await readViewsManifest(lake))!)
    expect(byTwo.schema).toEqual(byOne.schema)
    for (const view of Object.keys(byOne.rows)) expect(byTwo.rows[view], view).toEqual(byOne.rows[view])
    // The shards' staging files went with the cleanup of the run after.
    await runBatch(config, { lake, log }, { dates: [days[0]!] })
    expect(await lake.list(`views/runs/${two.runId}/shards/`)).toEqual([])
    expect((await readRunHistory(lake)).map((r) => r.shards)).toEqual([1, 2, 1])
    lake.close()
  })

  it('waits for shards started elsewhere, and fails with the error a shard reported', async () => {
    const config = testConfig({ KAFKA_PARTITIONS: '2' })
    const lake = openLake(config)
    await writeEngineLake(config, lake, 300)
    const one = await runBatch(config, { lake, log })
    const byOne = await dumpViews(config, lake, (await readViewsManifest(lake))!)
    const days = { from: one.daysRecomputed[0]!, to: one.daysRecomputed[one.daysRecomputed.length - 1]! }

    // "Another machine": whoever reads the printed command runs the shard with the same lake.
    const started: Array<Promise<unknown>> = []
    const elsewhere = (p: BatchProgress, sabotage?: number): void => {
      const m = /batch-shard --run (\S+) --shard (\d+)$/.exec(p.message)
      if (m === null) return
      const k = Number(m[2])
      const shard = async (): Promise<unknown> => {
        if (k === sabotage) {
          const plan = JSON.parse((await lake.get(shardPlanKey(m[1]!)))!.toString('utf8')) as ShardPlan
          await lake.delete(plan.files[k]![0]!)
        }
        return runShard(config, lake, m[1]!, k, 1)
      }
      started.push(shard().catch((err: unknown) => err))
    }
    const two = await runBatch(
      config,
      { lake, log },
      { ...days, shards: 2, remoteShardsMs: 60_000, onProgress: (p) => elsewhere(p) },
    )
    expect(two).toMatchObject({ status: 'ok', shards: 2, rowsRead: one.rowsRead })
    expect((await dumpViews(config, lake, (await readViewsManifest(lake))!)).rows).toEqual(byOne.rows)

    const failed = runBatch(
      config,
      { lake, log },
      { ...days, shards: 2, remoteShardsMs: 60_000, onProgress: (p) => elsewhere(p, 1) },
    )
    await expect(failed).rejects.toMatchObject({
      code: 'PLAYCOUNT_BATCH_ENGINE_FAILED',
      message: expect.stringMatching(/^The duckdb shard 1 batch engine failed: .*part-p1-/),
    })
    await Promise.all(started)
    expect((await readViewsManifest(lake))!.runId).toBe(two.runId)
    lake.close()
  })

  it('refuses a shard count that does not divide the partition count, before taking the lock', async () => {
    const config = testConfig({ KAFKA_PARTITIONS: '4' })
    const lake = openLake(config)
    await expect(runBatch(config, { lake, log }, { shards: 3 })).rejects.toMatchObject({
      code: 'PLAYCOUNT_BAD_REQUEST',
      message: expect.stringContaining('shards must be a divisor of KAFKA_PARTITIONS (4), got 3'),
    })
    expect(await lake.list('views/')).toEqual([])
    lake.close()
  })

  it("counts a listener twice when one listener's events are in two shards (the precondition is needed)", async () => {
    const config = testConfig({ KAFKA_PARTITIONS: '2' })
    const lake = openLake(config)
    // A producer that did not key by userId: u1's plays of s0 landed in both partitions.
    const at = W - HOUR_MS
    const play = (i: number, partition: number): ArchivedEvent => ({
      eventId: `x${i}`,
      ts: at - 60_000,
      userId: 'u1',
      songId: 's0',
      artistId: 'a0',
      type: 'play',
      partition,
      offset: i,
      arrivedAt: at + i,
    })
    await writeArchive(config, lake, [play(0, 0), play(1, 1)])
    await writeProgress(config, lake, W)
    await runBatch(config, { lake, log })
    const one = await readView(config, lake, (await readViewsManifest(lake))!, 'song_daily')
    await runBatch(config, { lake, log }, { shards: 2, dates: ['2024-03-02'] })
    const two = await readView(config, lake, (await readViewsManifest(lake))!, 'song_daily')
    expect(one.get('2024-03-02|s0')).toMatchObject({ plays: 2, listeners: 1 })
    expect(two.get('2024-03-02|s0')).toMatchObject({ plays: 2, listeners: 2 })
    lake.close()
  })
})
