/**
 * Did the scheduler miss a run while the process was down? Yes when a scheduled time lies between the last run
 * that did not fail and now. Missed runs are caught up by ONE run: a run covers everything archived since the
 * previous watermark, so running the missed ones one by one would only redo the same work.
 */
import cron from 'node-cron'

const MINUTE_MS = 60_000
/** Looking further back than this costs more than it tells: a process down that long is due a run anyway. */
export const CATCH_UP_HORIZON_MS = 31 * 24 * 3_600_000

/** The first scheduled time in (after, until], or undefined. Scans minute by minute; `after` is epoch ms. */
export function firstFireBetween(schedule: string, after: number, until: number): number | undefined {
  const second = cron.parse(schedule).second[0] ?? 0
  const task = cron.createTask(schedule, () => undefined, { timezone: 'Etc/UTC' })
  try {
    for (let t = Math.floor(after / MINUTE_MS) * MINUTE_MS + second * 1000; t <= until; t += MINUTE_MS) {
      if (t > after && task.match(new Date(t))) return t
    }
    return undefined
  } finally {
    void task.destroy()
  }
}

export function missedRun(schedule: string, lastRunStart: number | undefined, now: number): boolean {
  if (lastRunStart === undefined || now - lastRunStart > CATCH_UP_HORIZON_MS) return true
  return firstFireBetween(schedule, lastRunStart, now) !== undefined
}
