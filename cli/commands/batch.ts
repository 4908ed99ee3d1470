import type { Command } from 'commander'
import Table from 'cli-table3'
import { readRunHistory } from '../../batch-layer/nightly/history.ts'
import { runBatch } from '../../batch-layer/nightly/run.ts'
import type { BatchProgress, RunSummary } from '../../batch-layer/nightly/types.ts'
import { loadConfig } from '../../shared/config.ts'
import { openLake } from '../../shared/lake.ts'
import { createLogger } from '../../shared/logger.ts'

interface BatchCliOptions { date?: string[]; from?: string; to?: string; history?: boolean; limit: string; wait?: boolean }

function w(ms: number): string {
  return ms === 0 ? '-' : new Date(ms).toISOString().replace(':00.000Z', 'Z')
}

function days(list: string[]): string {
  if (list.length === 0) return '-'
  return list.length === 1 ? list[0]! : `${list.length} (${list[0]} … ${list[list.length - 1]})`
}

function printHistory(runs: RunSummary[]): void {
  const t = new Table({ head: ['run', 'trigger', 'status', 'started', 'took', 'W before → after', 'days recomputed', 'files', 'rows read'], style: { head: [], border: [] } })
  for (const r of runs) {
    t.push([r.runId, r.trigger, r.status, r.startedAt.replace(/\.\d+Z$/, 'Z'), `${(r.durationMs / 1000).toFixed(1)} s`,
      `${w(r.watermarkBefore)} → ${w(r.watermarkAfter)}`, days(r.daysRecomputed), r.filesRead, r.rowsRead.toLocaleString('en-US')])
  }
  console.log(runs.length === 0 ? 'no batch run yet' : t.toString())
}

/** Stage lines, and a count at most every 10% of a stage, on stderr so stdout stays the summary. */
function progressPrinter(): (p: BatchProgress) => void {
  let lastTenth = -1
  return (p) => {
    if (p.done === undefined || p.total === undefined) {
      lastTenth = -1
      process.stderr.write(`[${p.stage}] ${p.message}\n`)
      return
    }
    const tenth = Math.floor((10 * p.done) / Math.max(1, p.total))
    if (tenth === lastTenth) return
    lastTenth = tenth
    process.stderr.write(`[${p.stage}]   ${p.message}: ${p.done}/${p.total}\n`)
  }
}

export function registerBatch(program: Command): void {
  program.command('batch')
    .description('run the batch job now: advance the watermark, recompute the event days newly archived hours touch, plus the days asked for')
    .option('--date <day...>', 'also recompute this day (YYYY-MM-DD; repeatable)')
    .option('--from <day>', 'also recompute every day from this one (with --to)')
    .option('--to <day>', 'last day of --from (inclusive)')
    .option('--history', 'print the run history instead of running')
    .option('--limit <n>', 'how many runs --history prints', '20')
    .option('--wait', 'wait for a run in progress to finish instead of exiting')
    .action(async (opts: BatchCliOptions) => {
      const config = loadConfig()
      const lake = openLake(config)
      try {
        if (opts.history) {
          printHistory(await readRunHistory(lake, Number(opts.limit) || 20))
          return
        }
        // Stage lines replace the info logs a person would otherwise read twice.
        const log = createLogger({ level: config.logLevel === 'info' ? 'warn' : config.logLevel, name: 'batch', format: config.logFormat })
        const summary = await runBatch(config, { lake, log }, {
          trigger: 'cli', onProgress: progressPrinter(),
          ...(opts.date ? { dates: opts.date } : {}), ...(opts.from ? { from: opts.from } : {}), ...(opts.to ? { to: opts.to } : {}),
          ...(opts.wait ? { waitForLockMs: 6 * 3_600_000 } : {}),
        })
        printHistory([summary])
      } finally {
        lake.close()
      }
    })
}
