/**
 * Batch bench: one run over one day of events, written straight into the archive layout with DuckDB's
 * generate_series (BATCH_BENCH_EVENTS rows, default 2M, up to 10M; ~0.1% retried duplicates), beside plain DuckDB
 * GROUP BYs over the same files in the same process: the song-day aggregate alone, and the four grouped views
 * without deduplication. Peak RSS is sampled during the run.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { runBatch } from '../batch-layer/nightly/run.ts'
import { EVENT_DAY_SQL } from '../batch-layer/nightly/views-sql.ts'
import { loadConfig, type Config } from '../shared/config.ts'
import { fileList, openDuck, quoteLiteral } from '../shared/duckdb.ts'
import { openLake, type Lake } from '../shared/lake.ts'
import { DAY_MS, HOUR_MS, archiveProgressKey, eventsFileKey } from '../shared/layout.ts'
import { createLogger } from '../shared/logger.ts'
import { metricsSelectList } from '../shared/metrics.ts'
import type { BenchContext, BenchRow } from './types.ts'

const DAY = Date.parse('2024-03-01T00:00:00Z')
const PARTITIONS = 6

/** Writes one day of `n` generated events as archive files and marks every partition complete through the day. */
export async function writeDay(config: Readonly<Config>, lake: Lake, n: number): Promise<string[]> {
  const staging = path.join(config.home, 'staging')
  const duck = await openDuck(config)
  try {
    const dups = Math.floor(n / 1000)
    // Event i arrives at DAY + i/n of the day, up to 2 min after its ts; every 1000th is resent a minute later.
    await duck.conn.run(
      `COPY (
      WITH base AS (
        SELECT i, md5(CAST(i AS VARCHAR)) AS event_id, hash(i) AS h,
          DAY_START + to_milliseconds(CAST(i * ${DAY_MS - 180_000} // ${n} AS BIGINT) + 120_000) AS arrived_at
        FROM generate_series(0, ${n - 1}) t(i)
      ), rows AS (
        SELECT i, event_id, h, arrived_at FROM base
        UNION ALL SELECT ${n} + i, event_id, h, arrived_at + INTERVAL 1 MINUTE FROM base WHERE i % 1000 = 0 AND i < ${dups * 1000}
      )
      SELECT event_id, arrived_at - to_milliseconds(CAST(h % 120000 AS BIGINT)) - INTERVAL 1 SECOND AS ts, arrived_at,
        'u' || (h % 200000) AS user_id, 's' || (h // 7 % 20000) AS song_id, 'a' || (h // 7 % 20000 % 2000) AS artist_id,
        (['play','play','play','complete','skip','like','dislike','pause'])[1 + CAST(h // 11 % 8 AS INTEGER)] AS type,
        CAST(h // 13 % 300000 AS INTEGER) AS ms_played,
        (['mobile','desktop','web','tablet','tv','speaker','other'])[1 + CAST(h // 17 % 7 AS INTEGER)] AS device,
        (['US','DE','FR','GB','BR','JP','SE'])[1 + CAST(h // 19 % 7 AS INTEGER)] AS country,
        CAST(h % 200000 % ${PARTITIONS} AS INTEGER) AS kafka_partition, CAST(i AS BIGINT) AS kafka_offset,
        CAST(hour(arrived_at AT TIME ZONE 'UTC') AS INTEGER) AS hr, kafka_partition AS p
      FROM rows ORDER BY kafka_offset
    ) TO ${quoteLiteral(staging)} (FORMAT parquet, PARTITION_BY (p, hr), WRITE_PARTITION_COLUMNS false, OVERWRITE true)`.replace(
        'DAY_START',
        `TIMESTAMPTZ ${quoteLiteral(new Date(DAY).toISOString())}`,
      ),
    )
    const keys: string[] = []
    for (const pDir of fs.readdirSync(staging)) {
      const p = Number(pDir.split('=')[1])
      for (const hDir of fs.readdirSync(path.join(staging, pDir))) {
        const hr = Number(hDir.split('=')[1])
        for (const [i, f] of fs
          .readdirSync(path.join(staging, pDir, hDir))
          .sort()
          .entries()) {
          const key = eventsFileKey(DAY + hr * HOUR_MS, p, i)
          await lake.putFile(key, path.join(staging, pDir, hDir, f))
          keys.push(key)
        }
      }
    }
    for (let p = 0; p < config.kafka.partitions; p++) {
      await lake.putBytes(
        archiveProgressKey(config.kafka.topic, p),
        JSON.stringify({
          topic: config.kafka.topic,
          partition: p,
          nextOffset: '0',
          closedThrough: DAY + DAY_MS,
          updatedAt: new Date().toISOString(),
        }),
      )
    }
    return keys
  } finally {
    duck.close()
    fs.rmSync(staging, { recursive: true, force: true })
  }
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now()
  const value = await fn()
  return { ms: performance.now() - t0, value }
}

export default async function bench(ctx: BenchContext): Promise<BenchRow[]> {
  const n = Math.min(10_000_000, Number(process.env.BATCH_BENCH_EVENTS ?? 2_000_000))
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'playcount-batch-bench-'))
  const config = loadConfig({
    ...process.env,
    PLAYCOUNT_HOME: home,
    LAKE_URI: path.join(home, 'lake'),
    KAFKA_TOPIC: 'bench',
    KAFKA_PARTITIONS: String(PARTITIONS),
    PLAYCOUNT_CACHE: ctx.config.cacheDir,
    LOG_LEVEL: 'silent',
  })
  const lake = openLake(config)
  try {
    const gen = await timed(() => writeDay(config, lake, n))
    const locations = fileList(gen.value.map((k) => lake.location(k)))
    ctx.log(
      `wrote ${n.toLocaleString('en-US')} events (+${Math.floor(n / 1000)} duplicates) in ${gen.value.length} files in ${(gen.ms / 1000).toFixed(1)} s`,
    )

    const duck = await openDuck(config)
    const plainSong = `SELECT ${EVENT_DAY_SQL} AS day, song_id, ${metricsSelectList()} FROM read_parquet(${locations}) GROUP BY ALL`
    const fourViews = [['song_id'], ['artist_id'], ['artist_id', 'country'], ['song_id', 'device']].map(
      (keys) =>
        `SELECT ${EVENT_DAY_SQL} AS day, ${keys.join(', ')}, ${metricsSelectList()} FROM read_parquet(${locations}) GROUP BY ALL`,
    )
    await duck.conn.run(`SELECT count(*) FROM read_parquet(${locations})`) // warm the page cache for both sides
    const plain1 = await timed(() => duck.conn.runAndReadAll(plainSong))
    const four = await timed(async () => {
      for (const q of fourViews) await duck.conn.runAndReadAll(q)
    })
    duck.close()

    let peakRss = process.memoryUsage().rss
    const rssBefore = peakRss
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, process.memoryUsage().rss)
    }, 25)
    const t0 = performance.now()
    const stages: string[] = []
    const run = await timed(() =>
      runBatch(
        config,
        { lake, log: createLogger({ level: 'silent' }) },
        {
          onProgress: (p) => {
            if (p.done === undefined) stages.push(`${p.stage} at ${Math.round(performance.now() - t0)} ms`)
          },
        },
      ),
    )
    clearInterval(sampler)
    const duck2 = await openDuck(config)
    const plain2 = await timed(() => duck2.conn.runAndReadAll(plainSong))
    duck2.close()
    const plain = Math.min(plain1.ms, plain2.ms)
    ctx.log(
      `stages: ${stages.join(', ')}, done at ${Math.round(run.ms)} ms; plain GROUP BY ${Math.round(plain1.ms)} ms before, ${Math.round(plain2.ms)} ms after`,
    )
    ctx.log(
      `run ${run.value.runId}: ${run.value.rowsRead.toLocaleString('en-US')} rows, ${run.value.duplicatesDropped} duplicates dropped, ${run.value.filesWritten} view files`,
    )
    const ratio = run.ms / plain
    return [
      {
        bench: 'batch',
        measure: `batch run, 1 day of ${(n / 1e6).toFixed(1)}M events (5 views, dedup, write, manifest)`,
        value: run.ms,
        unit: 'ms',
        baseline: plain,
        ratio,
        target: '<= 1.5x plain GROUP BY',
        met: ratio <= 1.5,
      },
      {
        bench: 'batch',
        measure: 'batch run vs plain GROUP BYs of the same 4 grouped views (no dedup, no write)',
        value: run.ms,
        unit: 'ms',
        baseline: four.ms,
        ratio: run.ms / four.ms,
        target: '<= 1.5x the same views by plain GROUP BYs',
        met: run.ms / four.ms <= 1.5,
      },
      { bench: 'batch', measure: 'batch run throughput', value: run.value.rowsRead / (run.ms / 1000), unit: 'rows/s' },
      {
        bench: 'batch',
        measure: 'peak RSS during the run (sampled every 25 ms)',
        value: peakRss / 2 ** 20,
        unit: 'MiB',
        baseline: rssBefore / 2 ** 20,
      },
    ]
  } finally {
    lake.close()
    fs.rmSync(home, { recursive: true, force: true })
  }
}
