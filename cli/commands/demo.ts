import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Command } from 'commander'
import { servicesDown, servicesUp, type ServiceName } from '../../services/services.ts'
import { loadConfig, type Config } from '../../shared/config.ts'
import { Errors } from '../../shared/errors.ts'
import { ensureCatalog } from '../../shared/catalog/default.ts'
import { openLake } from '../../shared/lake.ts'
import { createLogger, type Logger } from '../../shared/logger.ts'
import { layDownHistory, lakeHasHistory } from '../demo-history.ts'
import { seconds } from '../steps.ts'
import { buildPipeline, ROLES } from '../pipeline.ts'
import { stopOnSignal } from '../shutdown.ts'

const bin = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'playcount.js')

/** The demo injects simulated listens: it must never run against a Kafka cluster other than the local one. */
function requireLocalKafka(config: Readonly<Config>): void {
  const port = config.services.kafkaPort
  const local = [`127.0.0.1:${port}`, `localhost:${port}`]
  const brokers = config.kafka.brokers
  if (brokers.length !== 1 || !local.includes(brokers[0] ?? '')) {
    throw new Errors.CONFIG_INVALID(
      `KAFKA_BROKERS must be the local broker 127.0.0.1:${port} for playcount demo, which feeds ` +
        `simulated listeners into the topic; got ${brokers.join(',')}. Use playcount start to run against your own cluster`,
    )
  }
}

/** Nor may it write simulated history and a default catalog into a lake on an S3 other than the local MinIO. */
function requireLocalLake(config: Readonly<Config>): void {
  if (!config.lakeUri.startsWith('s3://')) return
  const port = String(config.services.minioPort)
  const endpoint = config.s3.endpoint === undefined ? undefined : new URL(config.s3.endpoint)
  const local =
    endpoint !== undefined && ['127.0.0.1', 'localhost'].includes(endpoint.hostname) && endpoint.port === port
  if (!local) {
    throw new Errors.CONFIG_INVALID(
      `S3_ENDPOINT must be the local MinIO http://127.0.0.1:${port} for playcount demo with an s3:// LAKE_URI, as the ` +
        `demo writes simulated history and a default catalog into the lake; got ${config.s3.endpoint ?? 'AWS S3'}. ` +
        'Use playcount start to run against your own lake',
    )
  }
}

function startSimulator(url: string, listeners: string, rate: string): ChildProcess {
  return spawn(
    process.execPath,
    [
      bin,
      'generate',
      '--listeners',
      listeners,
      '--rate',
      rate,
      '--speed',
      'realtime',
      '--start',
      'now',
      '--duration',
      'forever',
      '--seed',
      String(Date.now()),
      '--http',
      `${url}/v1/events`,
      '--no-progress',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  )
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  await exited
}

/** The topic keeps 7 days, the lake forever; a year of history is already more than a demo needs. */
const MAX_HISTORY_DAYS = 366

async function history(config: Readonly<Config>, log: Logger, days: number): Promise<void> {
  const lake = openLake(config, log)
  try {
    const catalog = await ensureCatalog(config, lake, log)
    if (await lakeHasHistory(lake)) {
      console.log(
        `history: the lake ${config.lakeUri} already has an archive; kept (delete ${config.home} to start over)`,
      )
      return
    }
    const t0 = Date.now()
    console.log(`history: ${days} days of simulated listening, archived to the lake and computed by the batch`)
    // The bars and step lines say what happens; the roles' info logs would only repeat it between the bars.
    const quiet = config.logLevel === 'info' ? log.child({ step: 'history' }, { level: 'warn' }) : log
    await layDownHistory(config, { catalog, lake, log: quiet }, days)
    console.log(`history: ready in ${seconds(Date.now() - t0)}`)
  } finally {
    lake.close()
  }
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description(
      'try playcount on this machine: local Kafka and MinIO, a default catalog, every role, a simulated audience, the dashboard',
    )
    .option('--listeners <n>', 'simulated listeners (about 1 event per second per 800 listeners)', '8000')
    .option('--rate <r>', 'cap on simulated events per second', '50')
    .option('--history <days>', 'days of simulated history archived and computed by the batch first (0: none)', '30')
    .addHelpText(
      'after',
      `
Starts Kafka and MinIO on 127.0.0.1 unless they already answer (and on Ctrl-C stops only the ones it started),
writes the small default catalog to the lake when it has none, and on an empty lake lays down --history days of
simulated listening, archived into their past arrival hours and computed by a batch run, so the dashboard opens on
batch numbers with today's realtime part on top (README: "The demo's history"). Then it runs every role in one
process (${ROLES.join(', ')}) and feeds the collector with simulated listeners.
Local state lives under ./data (PLAYCOUNT_HOME); delete it, with the services stopped, to start over.
Refuses a KAFKA_BROKERS other than the local broker, and an s3:// LAKE_URI on an S3 other than the local MinIO. For production, use playcount start.`,
    )
    .action(async (opts: { listeners: string; rate: string; history: string }) => {
      const config = loadConfig()
      requireLocalKafka(config)
      requireLocalLake(config)
      const historyDays = Number(opts.history)
      if (!Number.isInteger(historyDays) || historyDays < 0 || historyDays > MAX_HISTORY_DAYS) {
        throw new Errors.BAD_REQUEST(
          `--history must be a whole number of days from 0 to ${MAX_HISTORY_DAYS}, got ${opts.history}`,
        )
      }
      const log = createLogger({ level: config.logLevel, name: 'playcount', format: config.logFormat })
      const reports = (await servicesUp(config)).services
      const started: ServiceName[] = reports.filter((r) => r.state === 'started').map((r) => r.name)
      // An external service's log is not ours to point at.
      for (const r of reports)
        console.log(`${r.name}: ${r.state} at ${r.address}${r.state === 'external' ? '' : ` (log ${r.logFile})`}`)

      // Ctrl-C at any point stops what has been started so far, in order: simulator, roles, our services. A history
      // cut short leaves a partial archive, which the next start keeps (README: delete data/ to start over).
      const running: { now?: { pipeline: Awaited<ReturnType<typeof buildPipeline>>; simulator: ChildProcess } } = {}
      stopOnSignal(async () => {
        if (running.now) {
          await stopChild(running.now.simulator)
          await running.now.pipeline.stop()
        }
        if (started.length > 0)
          for (const r of await servicesDown(config, started)) console.log(`${r.name}: ${r.state}`)
      })

      if (historyDays > 0) await history(config, log, historyDays)

      const pipeline = await buildPipeline(config, ROLES, log, { createDefaultCatalog: true })
      const url = (await pipeline.start()).replace('[::1]', '127.0.0.1')
      running.now = { pipeline, simulator: startSimulator(url, opts.listeners, opts.rate) }
      console.log(`roles: ${ROLES.join(', ')} on topic ${config.kafka.topic}, lake ${config.lakeUri}`)
      console.log(`simulator: ${opts.listeners} listeners at about ${opts.rate} events/s into ${url}/v1/events`)
      console.log(`dashboard: ${url}/   API docs: ${url}/docs   (Ctrl-C stops)`)
    })
}
