import fs from 'node:fs'
import { describe, expect, it } from 'vitest'
import { acquireBatchLock, batchLockFile } from '../../../batch-layer/nightly/lock.ts'
import { runBatch } from '../../../batch-layer/nightly/run.ts'
import { openLake } from '../../../shared/lake.ts'
import { HOUR_MS } from '../../../shared/layout.ts'
import { createLogger } from '../../../shared/logger.ts'
import { testConfig } from '../../helpers.ts'
import { makeEvents, writeArchive, writeProgress } from './fixture.ts'

const log = createLogger({ level: 'silent' })
const T0 = Date.parse('2024-03-01T20:00:00Z')

describe('one batch run at a time', () => {
  it('refuses a second run while one is under way, or waits for it when asked to', async () => {
    const config = testConfig({ KAFKA_PARTITIONS: '1' })
    const lake = openLake(config)
    await writeArchive(
      config,
      lake,
      makeEvents({ n: 50, seed: 1, arrivalFrom: T0, arrivalSpanMs: HOUR_MS, partitions: 1 }),
    )
    await writeProgress(config, lake, T0 + HOUR_MS)
    let second: Promise<unknown> | undefined
    let waiting: Promise<Awaited<ReturnType<typeof runBatch>>> | undefined
    const first = await runBatch(
      config,
      { lake, log },
      {
        onProgress: (p) => {
          if (p.stage !== 'aggregate' || second !== undefined) return
          second = runBatch(config, { lake, log }).then(
            () => 'ran',
            (err: unknown) => err,
          )
          waiting = runBatch(config, { lake, log }, { waitForLockMs: 30_000, dates: ['2024-03-01'] })
        },
      },
    )
    expect(await second).toMatchObject({
      code: 'PLAYCOUNT_BATCH_LOCKED',
      message: expect.stringContaining(first.runId),
    })
    const after = await waiting!
    expect(first.status).toBe('ok')
    expect(after).toMatchObject({ status: 'ok', daysRecomputed: ['2024-03-01'], watermarkBefore: T0 + HOUR_MS })
    expect(Date.parse(after.endedAt)).toBeGreaterThanOrEqual(Date.parse(first.endedAt))
    expect(fs.existsSync(batchLockFile(config))).toBe(false)
    lake.close()
  })

  it('takes over a lock whose holder is gone', async () => {
    const config = testConfig()
    fs.mkdirSync(config.home, { recursive: true })
    // A pid that cannot be alive: the kernel's pid_max is below 2^22.
    fs.writeFileSync(
      batchLockFile(config),
      JSON.stringify({ pid: 2 ** 22 + 1, host: (await import('node:os')).hostname(), runId: 'dead', since: 'then' }),
    )
    const lock = await acquireBatchLock(config, 'mine')
    await expect(acquireBatchLock(config, 'other')).rejects.toMatchObject({ code: 'PLAYCOUNT_BATCH_LOCKED' })
    await lock.release()
    await (await acquireBatchLock(config, 'other')).release()
  })
})
