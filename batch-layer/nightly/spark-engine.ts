/**
 * The Spark engine: the same views (views-sql.ts compiled for the Spark dialect) computed by spark-submit against
 * SPARK_MASTER, then consolidated with DuckDB into exactly the day files the DuckDB engine writes (same columns,
 * types and row order), so run.ts uploads them and writes the manifest as for any run and no reader can tell which
 * engine ran. Spark writes each view partitioned by day into the run's staging folder in the lake
 * (views/runs/<runId>/spark/, removed by the run's cleanup as files no manifest names).
 *
 * Spark's output (its log4j lines and console progress bar) goes to a log file under PLAYCOUNT_HOME/logs; the job's
 * steps and stage progress are reported as the run's progress, and a failure becomes one BATCH_ENGINE_FAILED line
 * naming the log.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { DuckDBConnection } from '@duckdb/node-api'
import { stopWithThisProcess } from '../../shared/child-processes.ts'
import type { Config } from '../../shared/config.ts'
import { fileList, quoteLiteral } from '../../shared/duckdb.ts'
import { Errors } from '../../shared/errors.ts'
import type { Lake } from '../../shared/lake.ts'
import { CATALOG_LISTENERS_KEY } from '../../shared/layout.ts'
import { pysparkPython, pysparkSparkHome } from '../../shared/spark.ts'
import { BATCH_VIEW_NAMES } from '../../shared/views.ts'
import type { ComputeResult } from './compute.ts'
import { runPrefix } from './manifest.ts'
import { batchLogFile } from './run-logs.ts'
import { SPARK } from './sql-dialect.ts'
import type { BatchProgress } from './types.ts'
import { batchJobSql, normalizedViewSql, viewSpec, viewSql } from './views-sql.ts'

const JOB_PY = path.join(path.dirname(fileURLToPath(import.meta.url)), 'spark-job.py')

export interface SparkComputeOptions {
  runId: string
  keys: readonly string[]
  days: readonly string[]
  outDir: string
  onProgress?: (p: BatchProgress) => void
}

/** Where Spark reads or writes a lake key: a path, or s3a:// (Hadoop's S3 connector) for an s3:// lake. */
function sparkLocation(lake: Lake, key: string): string {
  return lake.location(key).replace(/^s3:\/\//, 's3a://')
}

function sparkSetup(config: Readonly<Config>): { submit: string; env: NodeJS.ProcessEnv } {
  const home = config.spark.home ?? pysparkSparkHome(config.cacheDir)
  if (home === undefined || !fs.existsSync(path.join(home, 'bin', 'spark-submit'))) {
    throw new Errors.CONFIG_INVALID(
      `SPARK_HOME=${JSON.stringify(config.spark.home ?? '')} must be a Spark install with bin/spark-submit ` +
        '(or leave it empty and run `playcount services provision`, which installs the pinned pyspark in PLAYCOUNT_CACHE)',
    )
  }
  const env: NodeJS.ProcessEnv = { ...process.env, SPARK_HOME: home }
  if (config.spark.home === undefined) env.PYSPARK_PYTHON = env.PYSPARK_DRIVER_PYTHON = pysparkPython(config.cacheDir)
  if (config.lakeUri.startsWith('s3://')) {
    // S3A's environment credentials provider reads these, so the keys never appear on a command line.
    env.AWS_ACCESS_KEY_ID = config.s3.accessKeyId
    env.AWS_SECRET_ACCESS_KEY = config.s3.secretAccessKey
  }
  return { submit: path.join(home, 'bin', 'spark-submit'), env }
}

function submitArgs(config: Readonly<Config>, jobFile: string): string[] {
  const conf: Record<string, string> = {
    'spark.sql.session.timeZone': 'UTC',
    'spark.ui.showConsoleProgress': 'true',
    'spark.ui.enabled': 'false',
  }
  if (config.spark.master.startsWith('local')) {
    // Spark's defaults are for clusters; on one machine they are mostly task overhead: 200 shuffle partitions,
    // one task per small archive file (each costs 4 MB of "open cost"), a distributed job to list 32+ files.
    conf['spark.sql.shuffle.partitions'] = '4'
    conf['spark.sql.files.openCostInBytes'] = String(64 * 1024)
    conf['spark.sql.sources.parallelPartitionDiscovery.threshold'] = '100000'
  }
  if (config.lakeUri.startsWith('s3://') && config.s3.endpoint !== undefined) {
    conf['spark.hadoop.fs.s3a.endpoint'] = config.s3.endpoint
    conf['spark.hadoop.fs.s3a.path.style.access'] = 'true'
    conf['spark.hadoop.fs.s3a.endpoint.region'] = config.s3.region
  }
  return [
    '--master',
    config.spark.master,
    ...Object.entries(conf).flatMap(([k, v]) => ['--conf', `${k}=${v}`]),
    JOB_PY,
    jobFile,
  ]
}

const STAGE = /\[Stage (\d+):[^(]*\((\d+) \+ \d+\) \/ (\d+)\]/

interface SparkOutcome {
  code: number | null
  figures?: Record<string, number>
  error?: string
  lastError?: string
}

/** Runs spark-submit, streaming its output to `logFile` and its steps and stage progress to `onProgress`. */
async function submit(
  config: Readonly<Config>,
  jobFile: string,
  logFile: string,
  onProgress?: (p: BatchProgress) => void,
): Promise<SparkOutcome> {
  const { submit: bin, env } = sparkSetup(config)
  await fsp.mkdir(path.dirname(logFile), { recursive: true })
  const log = fs.createWriteStream(logFile)
  const out: SparkOutcome = { code: null }
  // In the job's folder: Spark leaves a spark-warehouse folder in its working directory.
  const child = stopWithThisProcess(
    spawn(bin, submitArgs(config, jobFile), { env, cwd: path.dirname(jobFile), stdio: ['ignore', 'pipe', 'pipe'] }),
  )
  const onLine = (line: string): void => {
    const text = line.trim()
    if (text === '') return
    if (text.startsWith('PLAYCOUNT_STEP ')) onProgress?.({ stage: 'aggregate', message: `spark: ${text.slice(15)}` })
    else if (text.startsWith('PLAYCOUNT_FIGURES ')) out.figures = JSON.parse(text.slice(18)) as Record<string, number>
    else if (text.startsWith('PLAYCOUNT_ERROR ')) out.error = text.slice(16)
    else {
      const stage = STAGE.exec(text)
      if (stage !== null)
        onProgress?.({
          stage: 'aggregate',
          message: `spark stage ${stage[1]} tasks`,
          done: Number(stage[2]),
          total: Number(stage[3]),
        })
      else if (/\b(ERROR|Exception|Error:)/.test(text)) out.lastError = text
    }
  }
  const pump = (stream: NodeJS.ReadableStream): Promise<void> =>
    new Promise((resolve) => {
      let rest = ''
      stream.on('data', (chunk: Buffer) => {
        log.write(chunk)
        // The console progress bar redraws itself with \r, so both end a line.
        const parts = (rest + chunk.toString('utf8')).split(/[\r\n]/)
        rest = parts.pop() ?? ''
        for (const p of parts) onLine(p)
      })
      stream.on('end', () => {
        onLine(rest)
        resolve()
      })
    })
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => resolve(code))
  })
  try {
    await Promise.all([pump(child.stdout), pump(child.stderr)])
    out.code = await exited
  } catch (err) {
    out.error = `spark-submit did not start: ${(err as Error).message}`
  } finally {
    await new Promise<void>((resolve) => log.end(resolve))
  }
  return out
}

/** Spark's part files of one view in the staging folder, by day (from Spark's `day=YYYY-MM-DD/` folders). */
async function stagedDays(lake: Lake, prefix: string): Promise<Map<string, string[]>> {
  const byDay = new Map<string, string[]>()
  for (const key of await lake.list(prefix)) {
    const m = /\/day=(\d{4}-\d{2}-\d{2})\/part-[^/]*\.parquet$/.exec(key)
    if (m === null) continue
    byDay.set(m[1]!, [...(byDay.get(m[1]!) ?? []), key])
  }
  return byDay
}

export async function computeViewsOnSpark(
  config: Readonly<Config>,
  lake: Lake,
  conn: DuckDBConnection,
  opts: SparkComputeOptions,
): Promise<ComputeResult> {
  if (opts.days.length === 0 || opts.keys.length === 0) return { rowsRead: 0, duplicatesDropped: 0, files: {} }
  const hasProfiles = await lake.exists(CATALOG_LISTENERS_KEY)
  const job = batchJobSql(SPARK, 'batch_files', opts.days, hasProfiles ? 'batch_listeners' : undefined)
  const staging = `${runPrefix(opts.runId)}spark/`
  const jobFile = path.join(opts.outDir, 'spark-job.json')
  await fsp.writeFile(
    jobFile,
    JSON.stringify(
      {
        appName: `playcount batch ${opts.runId}`,
        files: opts.keys.map((k) => sparkLocation(lake, k)),
        // Registered as `batch_listeners` by spark-job.py, for the profile dimensions (shared/dimensions.ts).
        listeners: hasProfiles ? sparkLocation(lake, CATALOG_LISTENERS_KEY) : null,
        statements: job.statements,
        figures: { counted: job.countedSql, duplicates: job.duplicatesSql },
        views: BATCH_VIEW_NAMES.map((name) => ({
          name,
          sql: viewSql(name, 'batch_agg'),
          out: sparkLocation(lake, `${staging}${name}`),
        })),
      },
      null,
      2,
    ),
  )
  const logFile = batchLogFile(config, opts.runId, 'spark')
  opts.onProgress?.({ stage: 'aggregate', message: `spark-submit --master ${config.spark.master} (log: ${logFile})` })
  const outcome = await submit(config, jobFile, logFile, opts.onProgress)
  if (outcome.code !== 0 || outcome.figures === undefined) {
    const line = outcome.error ?? outcome.lastError ?? `spark-submit exited with code ${String(outcome.code)}`
    throw new Errors.BATCH_ENGINE_FAILED('spark', line, logFile)
  }

  const files: ComputeResult['files'] = {}
  for (const view of BATCH_VIEW_NAMES) {
    const dir = path.join(opts.outDir, view)
    await fsp.mkdir(dir, { recursive: true })
    files[view] = {}
    const days = await stagedDays(lake, `${staging}${view}/`)
    let done = 0
    for (const [day, keys] of [...days].sort(([a], [b]) => a.localeCompare(b))) {
      const file = path.join(dir, `day=${day}.parquet`)
      const source = `read_parquet(${fileList(keys.map((k) => lake.location(k)))})`
      await conn.run(
        `COPY (${normalizedViewSql(viewSpec(view), source, day)}) TO ${quoteLiteral(file)} (FORMAT parquet, COMPRESSION zstd)`,
      )
      files[view][day] = file
      opts.onProgress?.({ stage: 'aggregate', message: `consolidating ${view}`, done: ++done, total: days.size })
    }
  }
  const counted = outcome.figures.counted ?? 0
  const duplicatesDropped = outcome.figures.duplicates ?? 0
  return { rowsRead: counted + duplicatesDropped, duplicatesDropped, files }
}
