/**
 * The batch engines on the same data in one run (BATCH_ENGINES_BENCH_EVENTS, default 2M events of one day, ~0.1%
 * retried, 6 partitions): DuckDB in one process, DuckDB in 2 shard processes plus the merge, Spark in local mode
 * (local[*], the pinned pyspark). Each run recomputes the day and writes the same views; rows/s counts the archive
 * rows read, and memory is the peak RSS of this process and all its children (shards, Spark's JVM).
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { runBatch } from '../batch-layer/nightly/run.ts'
import type { BatchRunOptions } from '../batch-layer/nightly/types.ts'
import { loadConfig } from '../shared/config.ts'
import { openLake } from '../shared/lake.ts'
import { createLogger } from '../shared/logger.ts'
import { writeDay } from './batch.bench.ts'
import { sampleTreeRss } from './tree-rss.ts'
import type { BenchContext, BenchRow } from './types.ts'

export default async function bench(ctx: BenchContext): Promise<BenchRow[]> {
  const n = Math.min(10_000_000, Number(process.env.BATCH_ENGINES_BENCH_EVENTS ?? 2_000_000))
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'playcount-engines-bench-'))
  const config = loadConfig({
    ...process.env,
    PLAYCOUNT_HOME: home,
    LAKE_URI: path.join(home, 'lake'),
    KAFKA_TOPIC: 'bench',
    KAFKA_PARTITIONS: '6',
    PLAYCOUNT_CACHE: ctx.config.cacheDir,
    LOG_LEVEL: 'silent',
    SPARK_MASTER: 'local[*]',
  })
  const lake = openLake(config)
  const log = createLogger({ level: 'silent' })
  try {
    const files = await writeDay(config, lake, n)
    ctx.log(`wrote ${n.toLocaleString('en-US')} events (+${Math.floor(n / 1000)} duplicates) in ${files.length} files`)
    await runBatch(config, { lake, log }) // the first run plans the day; the measured ones recompute it
    const runs: Array<[string, BatchRunOptions]> = [
      ['DuckDB, one process', { engine: 'duckdb' }],
      ['DuckDB, 2 shard processes + merge', { engine: 'duckdb', shards: 2 }],
      ['Spark local[*] (spark-submit, JVM start included)', { engine: 'spark' }],
    ]
    const rows: BenchRow[] = []
    let baseline: number | undefined
    for (const [what, opts] of runs) {
      const sampler = sampleTreeRss()
      const t0 = performance.now()
      const summary = await runBatch(config, { lake, log }, { ...opts, dates: ['2024-03-01'] })
      const ms = performance.now() - t0
      const peak = sampler.stop() / 2 ** 20
      const rate = summary.rowsRead / (ms / 1000)
      baseline ??= rate
      ctx.log(
        `${what}: ${(ms / 1000).toFixed(1)} s, ${Math.round(rate).toLocaleString('en-US')} rows/s, peak RSS ${Math.round(peak)} MiB`,
      )
      rows.push({
        bench: 'batch-engines',
        measure: `${what}: 1 day of ${(n / 1e6).toFixed(1)}M events`,
        value: rate,
        unit: 'rows/s',
        baseline,
        ratio: rate / baseline,
      })
      rows.push({ bench: 'batch-engines', measure: `${what}: peak RSS, process tree`, value: peak, unit: 'MiB' })
    }
    return rows
  } finally {
    lake.close()
    fs.rmSync(home, { recursive: true, force: true })
  }
}
