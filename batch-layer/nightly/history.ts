/** The run history: one JSON document per run under views/history/, named by run id (which sorts by start time). */
import type { Lake } from '../../shared/lake.ts'
import type { RunSummary } from './types.ts'

export const HISTORY_PREFIX = 'views/history/'

export function historyKey(runId: string): string {
  return `${HISTORY_PREFIX}${runId}.json`
}

export async function writeRunHistory(lake: Lake, summary: RunSummary): Promise<void> {
  await lake.putBytes(historyKey(summary.runId), `${JSON.stringify(summary, null, 2)}\n`)
}

/** The last `limit` runs, oldest first. */
export async function readRunHistory(lake: Lake, limit = 20): Promise<RunSummary[]> {
  const keys = (await lake.list(HISTORY_PREFIX)).filter((k) => k.endsWith('.json'))
  const last = keys.slice(Math.max(0, keys.length - limit))
  const docs = await Promise.all(last.map(async (k) => lake.get(k)))
  return docs.filter((b): b is Buffer => b !== undefined).map((b) => JSON.parse(b.toString('utf8')) as RunSummary)
}

/** A run id that sorts by start time: 20240301T003000123Z-1a2b3c. */
export function newRunId(now: Date, suffix: string): string {
  return `${now.toISOString().replace(/[-:.]/g, '')}-${suffix}`
}
