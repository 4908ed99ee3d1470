/**
 * The batch engines' own logs (the Spark driver's, each DuckDB shard's): one file per run and part under
 * PLAYCOUNT_HOME/logs, named by the run id, whose ISO timestamp makes the names sort by time. Every run leaves its
 * files, so the logs of all but the newest KEPT_RUNS runs are removed after each run; a nightly batch would
 * otherwise fill the folder for ever.
 */
import fsp from 'node:fs/promises'
import path from 'node:path'
import type { Config } from '../../shared/config.ts'

export const KEPT_RUNS = 20
/** `batch-<runId>-<part>.log`; runId as history.ts newRunId makes it. */
const RUN_LOG = /^batch-(\d{8}T\d{9}Z-[0-9a-f]+)-[\w-]+\.log$/

export function batchLogFile(config: Readonly<Config>, runId: string, part: string): string {
  return path.join(config.home, 'logs', `batch-${runId}-${part}.log`)
}

/** Removes the log files of the runs older than the newest `keep`; returns how many files went. */
export async function removeOldBatchLogs(config: Readonly<Config>, keep = KEPT_RUNS): Promise<number> {
  const dir = path.join(config.home, 'logs')
  const names = await fsp.readdir(dir).catch(() => [] as string[])
  const byRun = new Map<string, string[]>()
  for (const name of names) {
    const runId = RUN_LOG.exec(name)?.[1]
    if (runId !== undefined) byRun.set(runId, [...(byRun.get(runId) ?? []), name])
  }
  const old = [...byRun.keys()].sort().slice(0, Math.max(0, byRun.size - keep))
  const files = old.flatMap((runId) => byRun.get(runId)!)
  await Promise.all(files.map((name) => fsp.rm(path.join(dir, name), { force: true })))
  return files.length
}
