import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Command } from 'commander'
import { servicesDown, servicesUp, type ServiceName } from '../../services/services.ts'
import { loadConfig, type Config } from '../../shared/config.ts'
import { Errors } from '../../shared/errors.ts'
import { createLogger } from '../../shared/logger.ts'
import { buildPipeline, ROLES } from '../pipeline.ts'
import { stopOnSignal } from '../shutdown.ts'

const bin = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'playcount.js')

/** The demo injects simulated listens: it must never run against a Kafka cluster other than the local one. */
function requireLocalKafka(config: Readonly<Config>): void {
  const port = config.services.kafkaPort
  const local = [`127.0.0.1:${port}`, `localhost:${port}`]
  const brokers = config.kafka.brokers
  if (brokers.length !== 1 || !local.includes(brokers[0] ?? '')) {
    throw new Errors.CONFIG_INVALID(`KAFKA_BROKERS must be the local broker 127.0.0.1:${port} for playcount demo, which feeds ` +
      `simulated listeners into the topic; got ${brokers.join(',')}. Use playcount start to run against your own cluster`)
  }
}

function startSimulator(url: string, listeners: string, rate: string): ChildProcess {
  return spawn(process.execPath, [bin, 'generate', '--listeners', listeners, '--rate', rate,
    '--speed', 'realtime', '--start', 'now', '--duration', 'forever', '--seed', String(Date.now()),
    '--http', `${url}/v1/events`, '--no-progress'],
  { stdio: ['ignore', 'ignore', 'inherit'] })
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = once(child, 'exit')
  child.kill('SIGTERM')
  await exited
}

export function registerDemo(program: Command): void {
  program.command('demo')
    .description('try playcount on this machine: local Kafka and MinIO, a default catalog, every role, a simulated audience, the dashboard')
    .option('--listeners <n>', 'simulated listeners (about 1 event per second per 800 listeners)', '8000')
    .option('--rate <r>', 'cap on simulated events per second', '50')
    .addHelpText('after', `
Starts Kafka and MinIO on 127.0.0.1 unless they already answer (and on Ctrl-C stops only the ones it started),
writes the small default catalog to the lake when it has none, runs every role in one process
(${ROLES.join(', ')}) and feeds the collector with simulated listeners.
Refuses a KAFKA_BROKERS other than the local broker. For production, use playcount start.`)
    .action(async (opts: { listeners: string; rate: string }) => {
      const config = loadConfig()
      requireLocalKafka(config)
      const log = createLogger({ level: config.logLevel, name: 'playcount', format: config.logFormat })
      const reports = (await servicesUp(config)).services
      const started: ServiceName[] = reports.filter((r) => r.state === 'started').map((r) => r.name)
      for (const r of reports) console.log(`${r.name}: ${r.state} at ${r.address} (log ${r.logFile})`)

      const pipeline = await buildPipeline(config, ROLES, log, { createDefaultCatalog: true })
      const url = (await pipeline.start()).replace('[::1]', '127.0.0.1')
      const simulator = startSimulator(url, opts.listeners, opts.rate)
      console.log(`roles: ${ROLES.join(', ')} on topic ${config.kafka.topic}, lake ${config.lakeUri}`)
      console.log(`simulator: ${opts.listeners} listeners at about ${opts.rate} events/s into ${url}/v1/events`)
      console.log(`dashboard: ${url}/   API docs: ${url}/docs   (Ctrl-C stops)`)

      stopOnSignal(async () => {
        await stopChild(simulator)
        await pipeline.stop()
        if (started.length > 0) await servicesDown(config, started)
      })
    })
}
