/**
 * The DuckDB engine split by partition group (`--shards N`): shard k reads the archive files of the partitions p
 * with p % N == k (the partition is in the file name) and writes its partial aggregate — the same `batch_agg` an
 * unsplit run builds — to the run's staging folder in the lake; one merge step sums the partials and writes the
 * views as an unsplit run does. Each shard is a separate process (`playcount batch-shard`) that needs only the lake
 * and the plan document in it, so it may run on another machine.
 *
 * Exact because the topic is keyed by userId with the Java client's murmur2 partitioner: a listener's events, and
 * every retry of an event, are in one partition, so distinct listeners add up across shards and dedup by eventId
 * never needs two shards. With N dividing the partition count P, shard k holds the listeners with
 * murmur2(userId) % N == k whatever P is, so growing P to a multiple keeps sharding exact (docs/SCALING.md).
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import type { DuckDBConnection } from '@duckdb/node-api'
import { stopWithThisProcess } from '../../shared/child-processes.ts'
import { lakeEnv, type Config } from '../../shared/config.ts'
import { fileList, openDuck, quoteLiteral } from '../../shared/duckdb.ts'
import { Errors } from '../../shared/errors.ts'
import type { Lake } from '../../shared/lake.ts'
import { CATALOG_LISTENERS_KEY, parseEventsFileKey } from '../../shared/layout.ts'
import { aggregateEvents, writeViewFiles, type AggregateResult, type ComputeResult } from './compute.ts'
import { runPrefix } from './manifest.ts'
import { batchLogFile } from './run-logs.ts'
import type { BatchProgress } from './types.ts'
import { mergePartialsSql } from './views-sql.ts'

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/playcount.js')

export interface ShardPlan {
  runId: string
  shards: number
  days: string[]
  /** Archive keys per shard. */
  files: string[][]
}

export function shardPlanKey(runId: string): string {
  return `${runPrefix(runId)}shards/plan.json`
}

function partialKey(runId: string, k: number): string {
  return `${runPrefix(runId)}shards/shard-${k}.parquet`
}

function figuresKey(runId: string, k: number): string {
  return `${runPrefix(runId)}shards/shard-${k}.json`
}

/** Shard of an archive file: its partition modulo N. */
export function shardOf(key: string, shards: number): number {
  const parsed = parseEventsFileKey(key)
  if (parsed === undefined) throw new RangeError(`${key} is not an archive file key`)
  return parsed.partition % shards
}

/** N must divide the partition count, else one listener's events could reach two shards after P grows. */
export function checkShards(config: Readonly<Config>, shards: number): void {
  if (!Number.isInteger(shards) || shards < 1 || config.kafka.partitions % shards !== 0) {
    throw new Errors.BAD_REQUEST(
      `shards must be a divisor of KAFKA_PARTITIONS (${config.kafka.partitions}), got ${shards}`,
    )
  }
}

function errorKey(runId: string, k: number): string {
  return `${runPrefix(runId)}shards/shard-${k}.error.json`
}

/**
 * One shard's work, in whatever process (or machine) runs it: aggregate its files, write the partial, then its
 * figures (their presence says the shard is done). A failure is written beside them, so a coordinator waiting for
 * shards on other machines learns it.
 */
export async function runShard(
  config: Readonly<Config>,
  lake: Lake,
  runId: string,
  k: number,
  threads?: number,
): Promise<AggregateResult> {
  try {
    return await aggregateShard(config, lake, runId, k, threads)
  } catch (err) {
    await lake
      .putBytes(errorKey(runId, k), JSON.stringify({ error: (err as Error).message.split('\n')[0] }))
      .catch(() => undefined) // the original error matters more than a failed report of it
    throw err
  }
}

async function aggregateShard(
  config: Readonly<Config>,
  lake: Lake,
  runId: string,
  k: number,
  threads?: number,
): Promise<AggregateResult> {
  const bytes = await lake.get(shardPlanKey(runId))
  if (bytes === undefined) throw new Errors.NOT_FOUND('shard plan', lake.location(shardPlanKey(runId)))
  const plan = JSON.parse(bytes.toString('utf8')) as ShardPlan
  const keys = plan.files[k]
  if (keys === undefined) throw new Errors.BAD_REQUEST(`shard must be 0..${plan.shards - 1}, got ${k}`)
  let figures: AggregateResult = { rowsRead: 0, duplicatesDropped: 0 }
  if (keys.length > 0 && plan.days.length > 0) {
    const duck = await openDuck(config, threads === undefined ? {} : { threads })
    const tmp = await fsp.mkdtemp(path.join(os.tmpdir(), `playcount-shard-${k}-`))
    try {
      const listeners = (await lake.exists(CATALOG_LISTENERS_KEY)) ? lake.location(CATALOG_LISTENERS_KEY) : undefined
      figures = await aggregateEvents(
        duck.conn,
        keys.map((key) => lake.location(key)),
        plan.days,
        listeners,
      )
      const file = path.join(tmp, 'partial.parquet')
      await duck.conn.run(`COPY batch_agg TO ${quoteLiteral(file)} (FORMAT parquet, COMPRESSION zstd)`)
      await lake.putFile(partialKey(runId, k), file)
    } finally {
      duck.close()
      await fsp.rm(tmp, { recursive: true, force: true })
    }
  }
  await lake.putBytes(figuresKey(runId, k), JSON.stringify(figures))
  return figures
}

/** Runs shard k as a child process, its output in a log file; throws BATCH_ENGINE_FAILED with its last line. */
async function spawnShard(config: Readonly<Config>, runId: string, k: number, threads: number): Promise<void> {
  const logFile = batchLogFile(config, runId, `shard-${k}`)
  await fsp.mkdir(path.dirname(logFile), { recursive: true })
  const log = fs.openSync(logFile, 'w')
  try {
    const child = stopWithThisProcess(
      spawn(
        process.execPath,
        [CLI, 'batch-shard', '--run', runId, '--shard', String(k), '--threads', String(threads)],
        {
          env: { ...process.env, ...lakeEnv(config) },
          stdio: ['ignore', log, log],
        },
      ),
    )
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on('error', reject)
      child.on('close', resolve)
    })
    if (code === 0) return
  } finally {
    fs.closeSync(log)
  }
  const lines = (await fsp.readFile(logFile, 'utf8'))
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
  throw new Errors.BATCH_ENGINE_FAILED(`duckdb shard ${k}`, lines[lines.length - 1] ?? 'exited without output', logFile)
}

/** The merge step: `batch_agg` from the partials; the figures summed. */
async function mergeShards(
  conn: DuckDBConnection,
  lake: Lake,
  plan: ShardPlan,
): Promise<AggregateResult & { merged: boolean }> {
  const figures: AggregateResult = { rowsRead: 0, duplicatesDropped: 0 }
  const partials: string[] = []
  for (let k = 0; k < plan.shards; k++) {
    const bytes = await lake.get(figuresKey(plan.runId, k))
    if (bytes === undefined)
      throw new Errors.BATCH_ENGINE_FAILED(
        `duckdb shard ${k}`,
        'finished without its figures',
        lake.location(figuresKey(plan.runId, k)),
      )
    const f = JSON.parse(bytes.toString('utf8')) as AggregateResult
    figures.rowsRead += f.rowsRead
    figures.duplicatesDropped += f.duplicatesDropped
    if (await lake.exists(partialKey(plan.runId, k))) partials.push(lake.location(partialKey(plan.runId, k)))
  }
  if (partials.length === 0) return { ...figures, merged: false }
  await conn.run(`CREATE OR REPLACE TEMP TABLE batch_agg AS ${mergePartialsSql(`read_parquet(${fileList(partials)})`)}`)
  return { ...figures, merged: true }
}

/** Waits until every shard wrote its figures (shards run elsewhere); a shard's error document fails the run. */
async function awaitShards(lake: Lake, plan: ShardPlan, timeoutMs: number, onDone: () => void): Promise<void> {
  const pending = new Set(plan.files.map((_, k) => k))
  const deadline = Date.now() + timeoutMs
  while (pending.size > 0) {
    for (const k of [...pending]) {
      const failed = await lake.get(errorKey(plan.runId, k))
      if (failed !== undefined) {
        const { error } = JSON.parse(failed.toString('utf8')) as { error: string }
        throw new Errors.BATCH_ENGINE_FAILED(`duckdb shard ${k}`, error, lake.location(errorKey(plan.runId, k)))
      }
      if (await lake.exists(figuresKey(plan.runId, k))) {
        pending.delete(k)
        onDone()
      }
    }
    if (pending.size === 0) break
    if (Date.now() > deadline) {
      throw new Errors.BATCH_ENGINE_FAILED(
        'duckdb',
        `shards ${[...pending].join(', ')} did not finish within ${timeoutMs} ms`,
        lake.location(shardPlanKey(plan.runId)),
      )
    }
    await sleep(1000)
  }
}

export async function computeSharded(
  config: Readonly<Config>,
  lake: Lake,
  conn: DuckDBConnection,
  opts: {
    runId: string
    keys: readonly string[]
    days: readonly string[]
    shards: number
    outDir: string
    /** Started elsewhere (`playcount batch-shard`): wait this long for them instead of starting local processes. */
    remoteShardsMs?: number
    onProgress?: (p: BatchProgress) => void
  },
): Promise<ComputeResult> {
  checkShards(config, opts.shards)
  if (opts.days.length === 0 || opts.keys.length === 0) return { rowsRead: 0, duplicatesDropped: 0, files: {} }
  const plan: ShardPlan = {
    runId: opts.runId,
    shards: opts.shards,
    days: [...opts.days],
    files: Array.from({ length: opts.shards }, () => []),
  }
  for (const key of opts.keys) plan.files[shardOf(key, opts.shards)]!.push(key)
  await lake.putBytes(shardPlanKey(opts.runId), JSON.stringify(plan))
  // Local shards share this machine's cores.
  const threads = Math.max(1, Math.floor(os.availableParallelism() / opts.shards))
  let done = 0
  const onDone = (): void =>
    opts.onProgress?.({ stage: 'aggregate', message: 'shards done', done: ++done, total: opts.shards })
  if (opts.remoteShardsMs !== undefined) {
    for (let k = 0; k < opts.shards; k++) {
      opts.onProgress?.({
        stage: 'aggregate',
        message: `waiting for: LAKE_URI=${lake.uri} playcount batch-shard --run ${opts.runId} --shard ${k}`,
      })
    }
    await awaitShards(lake, plan, opts.remoteShardsMs, onDone)
  } else {
    opts.onProgress?.({ stage: 'aggregate', message: `running ${opts.shards} shard processes` })
    await Promise.all(
      plan.files.map(async (_, k) => {
        await spawnShard(config, opts.runId, k, threads)
        onDone()
      }),
    )
  }
  opts.onProgress?.({ stage: 'aggregate', message: "merging the shards' partial aggregates" })
  const { merged, ...figures } = await mergeShards(conn, lake, plan)
  if (!merged) return { ...figures, files: {} }
  const files = await writeViewFiles(conn, opts.outDir, (d, total) =>
    opts.onProgress?.({ stage: 'aggregate', message: 'writing view files', done: d, total }),
  )
  return { ...figures, files }
}
