/**
 * One batch run (docs/ARCHITECTURE.md#watermark-and-the-merge-rule): advance W to the archive's complete hours,
 * recompute exactly the event days that the newly covered files touch (late events are restated) plus the days
 * asked for, write their view files under a run-specific prefix, then swap the manifest LAST — a reader sees this
 * whole run or the previous one, never half of one. Days not recomputed keep the previous run's files.
 */
import crypto from 'node:crypto'
import fsp from 'node:fs/promises'
import path from 'node:path'
import type { Config } from '../../shared/config.ts'
import { openDuck, type DuckSession } from '../../shared/duckdb.ts'
import { computeWithEngine } from './engines.ts'
import { computeSegments } from '../segments/segments.ts'
import type { DuckDBConnection } from '@duckdb/node-api'
import type { Lake } from '../../shared/lake.ts'
import { dayOf } from '../../shared/layout.ts'
import { removeUnreferencedViewFiles } from './gc.ts'
import { removeOldBatchLogs } from './run-logs.ts'
import { newRunId, writeRunHistory } from './history.ts'
import { acquireBatchLock } from './lock.ts'
import { nextManifest, readManifest, viewFileKey, writeManifest } from './manifest.ts'
import {
  inspectFileDays,
  listArchivedBefore,
  readArchiveWatermark,
  readFileIndex,
  requestedDays,
  writeFileIndex,
} from './plan.ts'
import { checkShards } from './shards.ts'
import type { BatchDeps, BatchProgress, BatchRunOptions, BatchStage, RunSummary } from './types.ts'

export type { BatchDeps, BatchProgress, BatchRunOptions, RunSummary } from './types.ts'

const UPLOAD_CONCURRENCY = 4

async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]!)
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}

export async function runBatch(
  config: Readonly<Config>,
  deps: BatchDeps,
  opts: BatchRunOptions = {},
): Promise<RunSummary> {
  const { lake } = deps
  const startedAt = new Date()
  const runId = newRunId(startedAt, crypto.randomBytes(3).toString('hex'))
  const log = deps.log.child({ runId })
  const asked = requestedDays(opts)
  const engine = opts.engine ?? config.batch.engine
  const shards = engine === 'duckdb' ? (opts.shards ?? config.batch.shards) : 1
  checkShards(config, shards)
  const lock = await acquireBatchLock(config, runId, opts.waitForLockMs ?? 0)
  const summary: RunSummary = {
    runId,
    status: 'ok',
    trigger: opts.trigger ?? 'api',
    startedAt: startedAt.toISOString(),
    endedAt: '',
    durationMs: 0,
    watermarkBefore: 0,
    watermarkAfter: 0,
    daysRecomputed: [],
    filesRead: 0,
    rowsRead: 0,
    duplicatesDropped: 0,
    filesWritten: 0,
    engine,
    shards,
  }
  const stage = async (
    s: BatchStage,
    message: string,
    counts: Pick<BatchProgress, 'done' | 'total'> = {},
  ): Promise<void> => {
    opts.onProgress?.({ stage: s, message, ...counts })
    if (counts.done === undefined) log.info({ stage: s }, message)
    if (config.batch.failpoint === s) {
      log.warn({ stage: s }, 'BATCH_FAILPOINT reached: waiting here to be killed')
      await new Promise<never>(() => setInterval(() => undefined, 60_000))
    }
  }
  let duck: DuckSession | undefined
  let tmpDir: string | undefined
  try {
    await stage('lock', `run ${runId} holds the batch lock`)
    await stage('plan', 'reading the watermark and listing the archive')
    const prev = await readManifest(lake)
    const before = prev?.watermark ?? 0
    const archiveW = await readArchiveWatermark(config, lake)
    if (archiveW < before)
      log.warn({ archiveW, before }, 'the archive is complete only below the current watermark; W stays')
    const watermark = Math.max(before, archiveW)
    summary.watermarkBefore = before
    summary.watermarkAfter = watermark
    const archived = await listArchivedBefore(lake, watermark)
    const prevIndex = await readFileIndex(lake, prev?.runId)
    const archivedSet = new Set(archived)
    const fresh = archived.filter((k) => prevIndex[k] === undefined)
    const gone = Object.keys(prevIndex).filter((k) => !archivedSet.has(k))
    if (prev !== undefined && watermark === before && fresh.length === 0 && gone.length === 0 && asked.length === 0) {
      summary.status = 'noop'
      return await finish(summary, deps, log)
    }
    if (prev === undefined && archived.length === 0 && asked.length === 0 && watermark === 0) {
      summary.status = 'noop'
      return await finish(summary, deps, log)
    }

    duck = await openDuck(config)
    await stage('index', `inspecting ${fresh.length} newly archived files`)
    const freshDays = await inspectFileDays(duck.conn, lake, fresh, (done) =>
      opts.onProgress?.({
        stage: 'index',
        message: 'inspecting files',
        done,
        total: fresh.length,
      }),
    )
    const index = { ...prevIndex, ...freshDays }
    for (const k of gone) delete index[k]
    const touched = new Set<string>(asked)
    for (const k of [...fresh, ...gone]) for (const d of freshDays[k] ?? prevIndex[k] ?? []) touched.add(d)
    const days = [...touched].sort()
    const toRead = archived.filter((k) => (index[k] ?? []).some((d) => touched.has(d)))
    summary.daysRecomputed = days
    summary.filesRead = toRead.length

    await stage(
      'aggregate',
      `recomputing ${days.length} days from ${toRead.length} files (${engine}${shards > 1 ? `, ${shards} shards` : ''})`,
    )
    tmpDir = await fsp.mkdtemp(path.join(await ensureDir(path.join(config.home, 'tmp')), `batch-${runId}-`))
    const result = await computeWithEngine(config, lake, duck.conn, {
      engine: summary.engine,
      shards: summary.shards,
      runId,
      keys: toRead,
      days,
      outDir: tmpDir,
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      ...(opts.remoteShardsMs === undefined ? {} : { remoteShardsMs: opts.remoteShardsMs }),
    })
    summary.rowsRead = result.rowsRead
    summary.duplicatesDropped = result.duplicatesDropped

    const uploads = Object.entries(result.files).flatMap(([view, byDay]) =>
      Object.entries(byDay).map(([day, file]) => ({ view, day, file, key: viewFileKey(runId, view, day) })),
    )
    await stage('write', `writing ${uploads.length} view files to ${lake.uri}`)
    const written: Record<string, Record<string, string>> = {}
    let done = 0
    await forEachLimit(uploads, UPLOAD_CONCURRENCY, async (u) => {
      await lake.putFile(u.key, u.file)
      ;(written[u.view] ??= {})[u.day] = u.key
      opts.onProgress?.({ stage: 'write', message: 'uploading', done: ++done, total: uploads.length })
    })
    await writeFileIndex(lake, runId, index)
    summary.filesWritten = uploads.length

    await stage('manifest', `publishing the manifest: W ${iso(before)} → ${iso(watermark)}`)
    const manifest = nextManifest(prev, { runId, watermark, recomputed: touched, written })
    await writeManifest(lake, manifest)

    await stage('cleanup', 'removing view files no manifest names')
    await removeUnreferencedViewFiles(lake, [manifest, prev], log)
    if (opts.segments !== false && watermark > 0) await runSegments(duck.conn, lake, dayOf(watermark - 1), tmpDir, log)
    return await finish(summary, deps, log)
  } catch (err) {
    summary.status = 'failed'
    summary.error = (err as Error).message
    await finish(summary, deps, log).catch((e: unknown) => log.error({ err: e }, 'could not record the failed run'))
    throw err
  } finally {
    duck?.close()
    if (tmpDir !== undefined) await fsp.rm(tmpDir, { recursive: true, force: true })
    // Under the lock, so no other run's logs are being written meanwhile.
    await removeOldBatchLogs(config).catch((e: unknown) => log.warn({ err: e }, 'could not remove old batch logs'))
    await lock.release()
  }
}

/**
 * The listener segments of the last complete day (batch-layer/segments/), after the views: a failure is logged and
 * leaves the previous segments in place, never the run's views unpublished.
 */
async function runSegments(
  conn: DuckDBConnection,
  lake: Lake,
  asOf: string,
  tmpDir: string,
  log: BatchDeps['log'],
): Promise<void> {
  try {
    const run = await computeSegments(conn, lake, { asOf, tmpDir })
    if (run !== undefined)
      log.info(
        { asOf, listeners: run.listeners, segments: run.segments.map((s) => `${s.name}: ${s.size}`) },
        'listener segments written',
      )
  } catch (err) {
    log.error({ err, asOf }, 'listener segments failed; the previous ones stay')
  }
}

async function ensureDir(dir: string): Promise<string> {
  await fsp.mkdir(dir, { recursive: true })
  return dir
}

function iso(ms: number): string {
  return ms === 0 ? '0' : new Date(ms).toISOString()
}

async function finish(summary: RunSummary, deps: BatchDeps, log: BatchDeps['log']): Promise<RunSummary> {
  const end = new Date()
  summary.endedAt = end.toISOString()
  summary.durationMs = end.getTime() - Date.parse(summary.startedAt)
  await writeRunHistory(deps.lake, summary)
  const { daysRecomputed, ...rest } = summary
  log[summary.status === 'failed' ? 'error' : 'info'](
    { ...rest, days: daysRecomputed.length },
    `batch run ${summary.status}`,
  )
  return summary
}
