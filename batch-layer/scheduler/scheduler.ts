/**
 * The batch-scheduler role: runs the nightly job on BATCH_SCHEDULE (cron, UTC) and, when it starts after
 * downtime, catches up the run it missed. Overlap is impossible: this process runs one at a time, and the batch
 * lock keeps other processes out (a run that finds the lock taken is skipped and logged, not an error).
 */
import cron, { type ScheduledTask } from 'node-cron'
import { Counter, Gauge, type Registry } from 'prom-client'
import type { Config } from '../../shared/config.ts'
import { isPlaycountError } from '../../shared/errors.ts'
import type { Lake } from '../../shared/lake.ts'
import type { Logger } from '../../shared/logger.ts'
import { readRunHistory } from '../nightly/history.ts'
import { runBatch } from '../nightly/run.ts'
import type { RunSummary } from '../nightly/types.ts'
import { missedRun } from './catch-up.ts'
import { registered } from '../../shared/telemetry.ts'

export interface BatchSchedulerDeps {
  lake: Lake
  log: Logger
  registry: Registry
}

export interface BatchScheduler {
  start(): Promise<void>
  stop(): Promise<void>
  /** Runs now unless a run of this process is under way; resolves when it is done (undefined when skipped). */
  runNow(trigger: 'schedule' | 'catch-up'): Promise<RunSummary | undefined>
  /** Resolves when no run of this process is under way. */
  idle(): Promise<void>
}

export function buildBatchScheduler(
  config: Readonly<Config>,
  deps: BatchSchedulerDeps,
  opts: { now?: () => number } = {},
): BatchScheduler {
  const { lake, log, registry } = deps
  const now = opts.now ?? Date.now
  const runs = registered(
    registry,
    'playcount_batch_runs_total',
    () =>
      new Counter({
        name: 'playcount_batch_runs_total',
        help: 'batch runs by trigger and status (ok, noop, failed, locked)',
        labelNames: ['trigger', 'status'] as const,
        registers: [registry],
      }),
  )
  const watermark = registered(
    registry,
    'playcount_batch_watermark_seconds',
    () =>
      new Gauge({
        name: 'playcount_batch_watermark_seconds',
        help: 'the watermark W after the last batch run (epoch seconds)',
        registers: [registry],
      }),
  )
  const duration = registered(
    registry,
    'playcount_batch_last_duration_seconds',
    () =>
      new Gauge({
        name: 'playcount_batch_last_duration_seconds',
        help: 'how long the last batch run took',
        registers: [registry],
      }),
  )
  let task: ScheduledTask | undefined
  let inFlight: Promise<RunSummary | undefined> | undefined

  const runOnce = async (trigger: 'schedule' | 'catch-up'): Promise<RunSummary | undefined> => {
    try {
      const summary = await runBatch(config, { lake, log }, { trigger })
      runs.inc({ trigger, status: summary.status })
      watermark.set(summary.watermarkAfter / 1000)
      duration.set(summary.durationMs / 1000)
      return summary
    } catch (err) {
      const locked = isPlaycountError(err, 'BATCH_LOCKED')
      runs.inc({ trigger, status: locked ? 'locked' : 'failed' })
      if (locked) log.info({ err: err.message }, 'batch run skipped: another run holds the lock')
      else log.error({ err }, 'batch run failed; the next scheduled run retries')
      return undefined
    }
  }

  const scheduler: BatchScheduler = {
    runNow(trigger) {
      if (inFlight) return Promise.resolve(undefined)
      inFlight = runOnce(trigger).finally(() => {
        inFlight = undefined
      })
      return inFlight
    },
    async idle() {
      await inFlight
    },
    async start() {
      if (task) return
      task = cron.createTask(config.batch.schedule, () => scheduler.runNow('schedule'), {
        timezone: 'Etc/UTC',
        name: 'playcount-batch',
      })
      await task.start()
      const last = (await readRunHistory(lake, 50)).filter((h) => h.status !== 'failed').at(-1)
      const lastStart = last === undefined ? undefined : Date.parse(last.startedAt)
      log.info(
        { schedule: config.batch.schedule, next: task.getNextRun()?.toISOString(), lastRun: last?.startedAt },
        'batch scheduler started',
      )
      if (missedRun(config.batch.schedule, lastStart, now())) {
        log.info({ lastRun: last?.startedAt ?? null }, 'a scheduled batch run was missed while down: catching up now')
        void scheduler.runNow('catch-up')
      }
    },
    async stop() {
      if (task) await task.destroy()
      task = undefined
      await inFlight
    },
  }
  return scheduler
}
