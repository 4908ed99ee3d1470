/**
 * The S3 server goes away for 30 s while messages keep coming: the archiver waits (retrying, heart-beating), never
 * commits past what is in the lake, and after the server is back every message is archived exactly once.
 * A second MinIO of our own is stopped, never the shared one.
 */
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { describe, expect, it, onTestFinished } from 'vitest'
import { buildArchiver } from '../../../batch-layer/archiver/index.ts'
import { loadConfig, type Config } from '../../../shared/config.ts'
import { createKafka, groupId } from '../../../shared/kafka.ts'
import { openLake } from '../../../shared/lake.ts'
import { hourStart, HOUR_MS } from '../../../shared/layout.ts'
import { createLogger } from '../../../shared/logger.ts'
import { createRegistry } from '../../../shared/telemetry.ts'
import { startMinio, waitForS3 } from '../../../services/minio.ts'
import { eventually, randomName } from '../../helpers.ts'
import {
  archiverEnv,
  createTopic,
  duplicatesAndMissing,
  eventsInHour,
  produce,
  readArchive,
  testCatalog,
  type TestMessage,
} from './support.ts'

const OUTAGE_MS = 30_000

async function freePort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** A MinIO of this test only, on its own ports and data folder. */
async function ownMinio(
  cacheDir: string,
): Promise<{ endpoint: string; start(): Promise<void>; stop(): Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'minio-outage-'))
  const port = await freePort()
  const consolePort = await freePort()
  const endpoint = `http://127.0.0.1:${port}`
  let pid: number | undefined
  const stop = async (): Promise<void> => {
    if (pid === undefined) return
    const p = pid
    pid = undefined
    process.kill(p, 'SIGKILL')
    await eventually(
      async () => {
        try {
          process.kill(p, 0)
          return undefined
        } catch {
          return true
        }
      },
      10_000,
      'minio to exit',
    )
  }
  const start = async (): Promise<void> => {
    const spawned = startMinio({ cacheDir, dir, port, consolePort })
    pid = spawned.pid
    await waitForS3(endpoint, spawned.logFile)
  }
  onTestFinished(async () => {
    await stop()
    fs.rmSync(dir, { recursive: true, force: true })
  })
  await start()
  return { endpoint, start, stop }
}

async function committed(config: Readonly<Config>): Promise<number[]> {
  const admin = createKafka(config).admin()
  await admin.connect()
  try {
    const [entry] = await admin.fetchOffsets({ groupId: groupId(config, 'archiver'), topics: [config.kafka.topic] })
    return (entry?.partitions ?? []).sort((a, b) => a.partition - b.partition).map((p) => Number(p.offset))
  } finally {
    await admin.disconnect()
  }
}

describe('archiver during an S3 outage', () => {
  it('waits for the lake, commits nothing beyond it, and archives everything exactly once afterwards', async () => {
    const base = await archiverEnv({ s3: false })
    const minio = await ownMinio(loadConfig(base).cacheDir)
    const config = loadConfig({
      ...base,
      S3_ENDPOINT: minio.endpoint,
      LAKE_URI: `s3://playcount/${randomName('lake')}`,
      ARCHIVE_MAX_ROWS_PER_FILE: '1000',
      ARCHIVE_GRACE_MS: '0',
    })
    await createTopic(config)
    const now = hourStart(Date.now())
    const before = eventsInHour('a', 3000, 3, now - 2 * HOUR_MS)
    await produce(config, before)
    const lake = openLake(config)
    const archiver = buildArchiver(config, {
      catalog: testCatalog(),
      lake,
      log: createLogger({ level: 'silent' }),
      registry: createRegistry(),
    })
    onTestFinished(async () => {
      await archiver.stop()
      lake.close()
    })
    await archiver.start()
    await eventually(
      async () => ((await committed(config)).every((c) => c === 1000) ? true : undefined),
      60_000,
      'the first files',
    )

    await minio.stop()
    // 1100 rows per partition: a size split at 1000 that must wait for the lake.
    const during = eventsInHour('b', 3300, 3, now - HOUR_MS)
    await produce(config, during)
    const deadline = Date.now() + OUTAGE_MS
    while (Date.now() < deadline) {
      expect(await committed(config), 'committed past the lake').toEqual([1000, 1000, 1000])
      await sleep(2000)
    }
    await minio.start()
    await eventually(
      async () => ((await committed(config)).every((c) => c === 2100) ? true : undefined),
      120_000,
      'the archiver to catch up',
    )

    const contents = await readArchive(config)
    const next = new Map<number, number>()
    const expected = [...before, ...during].map((m: TestMessage) => {
      const offset = next.get(m.partition) ?? 0
      next.set(m.partition, offset + 1)
      return { partition: m.partition, offset }
    })
    expect(duplicatesAndMissing(contents, expected)).toEqual({ duplicates: [], missing: [], extra: [] })
    expect(contents.files.map((f) => f.rows).sort((a, b) => a - b)).toEqual([
      100, 100, 100, 1000, 1000, 1000, 1000, 1000, 1000,
    ])
  })
})
