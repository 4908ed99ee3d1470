/**
 * A run killed midway (SIGKILL, after it wrote its view files but before its manifest) leaves the previous
 * manifest and views readable and intact; its lock is stale, so the next run proceeds, and its orphaned files
 * are removed. While the killed run is alive, another run is refused with BATCH_LOCKED.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import readline from 'node:readline'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it, onTestFinished } from 'vitest'
import { runBatch } from '../../../batch-layer/nightly/run.ts'
import type { Config } from '../../../shared/config.ts'
import { openLake } from '../../../shared/lake.ts'
import { HOUR_MS } from '../../../shared/layout.ts'
import { createLogger } from '../../../shared/logger.ts'
import { readViewsManifest } from '../../../shared/views.ts'
import { testConfig, testS3Config } from '../../helpers.ts'
import { groundTruth, makeEvents, readView, writeArchive, writeProgress } from './fixture.ts'

const here = path.dirname(fileURLToPath(import.meta.url))
const log = createLogger({ level: 'silent' })
const T0 = Date.parse('2024-03-01T20:00:00Z')

function configEnv(config: Readonly<Config>, extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    ...process.env,
    LAKE_URI: config.lakeUri,
    PLAYCOUNT_HOME: config.home,
    PLAYCOUNT_CACHE: config.cacheDir,
    S3_ENDPOINT: config.s3.endpoint ?? '',
    KAFKA_TOPIC: config.kafka.topic,
    KAFKA_PARTITIONS: String(config.kafka.partitions),
    LOG_LEVEL: 'silent',
    ...extra,
  }
}

/** Starts a child run and resolves when it reports the given stage. */
function spawnRunUntil(config: Readonly<Config>, stage: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(here, 'run-child.ts')], {
    env: configEnv(config, { BATCH_FAILPOINT: stage }),
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  onTestFinished(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  return new Promise((resolve, reject) => {
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      const msg = JSON.parse(line) as { progress?: { stage: string }; error?: string }
      if (msg.progress?.stage === stage) resolve(child)
      if (msg.error !== undefined) reject(new Error(`child run failed: ${msg.error}`))
    })
    child.on('exit', (code) => reject(new Error(`child exited with ${code} before reaching ${stage}`)))
  })
}

async function killed(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r))
  child.kill('SIGKILL')
  await exited
}

describe.each([
  ['local', () => Promise.resolve(testConfig({ KAFKA_PARTITIONS: '2' }))],
  ['s3', () => testS3Config({ KAFKA_PARTITIONS: '2' })],
])('a batch run killed midway (%s lake)', (_name, makeConfig) => {
  it('leaves the previous manifest and views intact, and the next run recovers', async () => {
    const config = await makeConfig()
    const lake = openLake(config)
    onTestFinished(() => lake.close())
    const first = makeEvents({ n: 200, seed: 5, arrivalFrom: T0, arrivalSpanMs: 2 * HOUR_MS, partitions: 2 })
    await writeArchive(config, lake, first)
    await writeProgress(config, lake, T0 + 2 * HOUR_MS)
    await runBatch(config, { lake, log })
    const m1 = (await readViewsManifest(lake))!
    const views1 = await readView(config, lake, m1, 'song_daily')

    const second = makeEvents({
      n: 200,
      seed: 6,
      arrivalFrom: T0 + 2 * HOUR_MS,
      arrivalSpanMs: 2 * HOUR_MS,
      lateMs: 5 * HOUR_MS,
      partitions: 2,
      firstOffset: 500,
    })
    await writeArchive(config, lake, second)
    await writeProgress(config, lake, T0 + 4 * HOUR_MS)
    const child = await spawnRunUntil(config, 'manifest')
    // The child has written its view files and holds the lock: another run is refused with a clear message.
    await expect(runBatch(config, { lake, log })).rejects.toMatchObject({
      code: 'PLAYCOUNT_BATCH_LOCKED',
      message: expect.stringMatching(/holds the lock: run .* \(pid \d+/),
    })
    expect((await lake.list('views/runs/')).some((k) => !k.includes(m1.runId))).toBe(true)
    await killed(child)

    expect(await readViewsManifest(lake)).toEqual(m1)
    expect(await readView(config, lake, m1, 'song_daily')).toEqual(views1)

    const next = await runBatch(config, { lake, log })
    expect(next.status).toBe('ok')
    const m2 = (await readViewsManifest(lake))!
    const truth = groundTruth([...first, ...second], T0 + 4 * HOUR_MS)
    expect(Object.fromEntries(await readView(config, lake, m2, 'song_daily'))).toEqual(
      Object.fromEntries(truth.song_daily!),
    )
    const named = new Set(
      [m1, m2].flatMap((m) => [...Object.values(m.views).flat(), `views/runs/${m.runId}/file-days.json`]),
    )
    expect((await lake.list('views/runs/')).filter((k) => !named.has(k))).toEqual([])
  })
})
