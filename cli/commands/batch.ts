import type { Command } from 'commander'
import Table from 'cli-table3'
import { readRunHistory } from '../../batch-layer/nightly/history.ts'
import { runBatch } from '../../batch-layer/nightly/run.ts'
import { runShard } from '../../batch-layer/nightly/shards.ts'
import type { BatchProgress, BatchRunOptions, RunSummary } from '../../batch-layer/nightly/types.ts'
import { loadConfig } from '../../shared/config.ts'
import { Errors } from '../../shared/errors.ts'
import { openLake } from '../../shared/lake.ts'
import { createLogger } from '../../shared/logger.ts'

interface BatchCliOptions {
  date?: string[]
  from?: string
  to?: string
  history?: boolean
  limit: string
  wait?: boolean
  engine?: string
  shards?: string
  remoteShards?: string
}

function w(ms: number): string {
  return ms === 0 ? '-' : new Date(ms).toISOString().replace(':00.000Z', 'Z')
}

function days(list: string[]): string {
  if (list.length === 0) return '-'
  return list.length === 1 ? list[0]! : `${list.length} (${list[0]} … ${list[list.length - 1]})`
}

function printHistory(runs: RunSummary[]): void {
  const t = new Table({
    head: [
      'run',
      'trigger',
      'status',
      'engine',
      'started',
      'took',
      'W before → after',
      'days recomputed',
      'files',
      'rows read',
    ],
    style: { head: [], border: [] },
  })
  for (const r of runs) {
    // Runs recorded before the engine choice existed ran on DuckDB.
    const engine = `${r.engine ?? 'duckdb'}${(r.shards ?? 1) > 1 ? ` ×${r.shards}` : ''}`
    t.push([
      r.runId,
      r.trigger,
      r.status,
      engine,
      r.startedAt.replace(/\.\d+Z$/, 'Z'),
      `${(r.durationMs / 1000).toFixed(1)} s`,
      `${w(r.watermarkBefore)} → ${w(r.watermarkAfter)}`,
      days(r.daysRecomputed),
      r.filesRead,
      r.rowsRead.toLocaleString('en-US'),
    ])
  }
  console.log(runs.length === 0 ? 'no batch run yet' : t.toString())
}

/** Stage lines, and a count at most every 10% of a stage, on stderr so stdout stays the summary. */
function progressPrinter(): (p: BatchProgress) => void {
  let lastTenth = -1
  let lastCounted = ''
  return (p) => {
    if (p.done === undefined || p.total === undefined) {
      lastTenth = -1
      process.stderr.write(`[${p.stage}] ${p.message}\n`)
      return
    }
    const tenth = Math.floor((10 * p.done) / Math.max(1, p.total))
    // A new counter (the next Spark stage, the next view) prints from its start.
    if (tenth === lastTenth && p.message === lastCounted) return
    lastTenth = tenth
    lastCounted = p.message
    process.stderr.write(`[${p.stage}]   ${p.message}: ${p.done}/${p.total}\n`)
  }
}

function engineOptions(opts: BatchCliOptions): Pick<BatchRunOptions, 'engine' | 'shards' | 'remoteShardsMs'> {
  const out: Pick<BatchRunOptions, 'engine' | 'shards' | 'remoteShardsMs'> = {}
  if (opts.engine !== undefined) {
    if (opts.engine !== 'duckdb' && opts.engine !== 'spark')
      throw new Errors.BAD_REQUEST(`--engine must be duckdb or spark, got ${JSON.stringify(opts.engine)}`)
    out.engine = opts.engine
  }
  if (opts.shards !== undefined) {
    const n = Number(opts.shards)
    if (!Number.isInteger(n) || n < 1)
      throw new Errors.BAD_REQUEST(`--shards must be a positive integer, got ${JSON.stringify(opts.shards)}`)
    if (opts.engine === 'spark' && n > 1)
      throw new Errors.BAD_REQUEST('--shards splits the DuckDB engine; Spark splits its work itself')
    out.shards = n
  }
  if (opts.remoteShards !== undefined) {
    const minutes = Number(opts.remoteShards)
    if (!(minutes > 0))
      throw new Errors.BAD_REQUEST(
        `--remote-shards must be a number of minutes > 0, got ${JSON.stringify(opts.remoteShards)}`,
      )
    out.remoteShardsMs = minutes * 60_000
  }
  return out
}

export function registerBatch(program: Command): void {
  program
    .command('batch-shard')
    .description(
      'one shard of a sharded DuckDB batch run (started by `playcount batch --shards N`, here or on another machine with the same LAKE_URI)',
    )
    .requiredOption('--run <runId>', 'the run whose shard plan (views/runs/<runId>/shards/plan.json) to follow')
    .requiredOption('--shard <k>', 'which shard, 0..N-1')
    .option('--threads <n>', 'DuckDB threads (default: all cores)')
    .action(async (opts: { run: string; shard: string; threads?: string }) => {
      const config = loadConfig()
      const lake = openLake(config)
      try {
        const figures = await runShard(
          config,
          lake,
          opts.run,
          Number(opts.shard),
          opts.threads === undefined ? undefined : Number(opts.threads),
        )
        console.log(JSON.stringify({ shard: Number(opts.shard), ...figures }))
      } finally {
        lake.close()
      }
    })

  program
    .command('batch')
    .description(
      'run the batch job now: advance the watermark, recompute the event days newly archived hours touch, plus the days asked for',
    )
    .option('--date <day...>', 'also recompute this day (YYYY-MM-DD; repeatable)')
    .option('--from <day>', 'also recompute every day from this one (with --to)')
    .option('--to <day>', 'last day of --from (inclusive)')
    .option('--history', 'print the run history instead of running')
    .option('--limit <n>', 'how many runs --history prints', '20')
    .option('--wait', 'wait for a run in progress to finish instead of exiting')
    .option('--engine <engine>', 'duckdb or spark (default BATCH_ENGINE)')
    .option(
      '--remote-shards <minutes>',
      'with --shards: do not start the shards here; print their commands and wait this long for them to finish elsewhere',
    )
    .option(
      '--shards <n>',
      'DuckDB engine: split the run into N shard processes by partition group (a divisor of KAFKA_PARTITIONS; default BATCH_SHARDS)',
    )
    .action(async (opts: BatchCliOptions) => {
      const config = loadConfig()
      const lake = openLake(config)
      try {
        if (opts.history) {
          printHistory(await readRunHistory(lake, Number(opts.limit) || 20))
          return
        }
        // Stage lines replace the info logs a person would otherwise read twice.
        const log = createLogger({
          level: config.logLevel === 'info' ? 'warn' : config.logLevel,
          name: 'batch',
          format: config.logFormat,
        })
        const summary = await runBatch(
          config,
          { lake, log },
          {
            trigger: 'cli',
            onProgress: progressPrinter(),
            ...engineOptions(opts),
            ...(opts.date ? { dates: opts.date } : {}),
            ...(opts.from ? { from: opts.from } : {}),
            ...(opts.to ? { to: opts.to } : {}),
            ...(opts.wait ? { waitForLockMs: 6 * 3_600_000 } : {}),
          },
        )
        printHistory([summary])
      } finally {
        lake.close()
      }
    })
}
