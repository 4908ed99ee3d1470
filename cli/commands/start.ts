import { spawn, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Command } from 'commander'
import { loadConfig, type Config } from '../../shared/config.ts'
import { createLogger } from '../../shared/logger.ts'
import { servicesDown, servicesUp, type ServiceName } from '../../services/services.ts'
import { buildPipeline, parseRoles, ROLES } from '../pipeline.ts'

const bin = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'playcount.js')

const HELP = `
Roles: ${ROLES.join(', ')} (default: all of them in one process).

Each role as its own process (same KAFKA_BROKERS, KAFKA_TOPIC and LAKE_URI for all):
  PORT=8081 playcount start speed --no-simulate
  PORT=8082 playcount start speed --no-simulate          # a second speed instance: the group splits the partitions
  PORT=8083 playcount start archiver --no-simulate
  PORT=8084 playcount start batch-scheduler --no-simulate
  PORT=8085 playcount start ingest --no-simulate
  PORT=8080 SPEED_URLS=http://127.0.0.1:8081,http://127.0.0.1:8082 playcount start serve --no-simulate
The serving layer sums the speed instances' answers and says complete:false when one is down or not ready.
With API_TOKEN (and INTERNAL_TOKEN for /internal/speed/* and /metrics) set alike on every process, the
serving layer sends the internal token to the speed instances.
Local Kafka and MinIO are started for you unless --no-services; point at your own with KAFKA_BROKERS / LAKE_URI.`

function usesLocalServices(config: Readonly<Config>): boolean {
  const local = `127.0.0.1:${config.services.kafkaPort}`
  return config.kafka.brokers.length === 1 && (config.kafka.brokers[0] === local || config.kafka.brokers[0] === `localhost:${config.services.kafkaPort}`)
}

export function registerStart(program: Command): void {
  program.command('start').argument('[roles]', `comma-separated roles: ${ROLES.join(',')}`)
    .description('run playcount: the roles asked for in one process, the dashboard, and (by default) a simulated audience')
    .option('--no-services', 'do not start the local Kafka and MinIO')
    .option('--no-simulate', 'do not run the listener simulator')
    .option('--listeners <n>', 'simulated listeners (about 1 event per second per 800 listeners)', '8000')
    .option('--rate <r>', 'cap on simulated events per second', '50')
    .addHelpText('after', HELP)
    .action(async (rolesArg: string | undefined, opts: { services: boolean; simulate: boolean; listeners: string; rate: string }) => {
      const config = loadConfig()
      const roles = parseRoles(rolesArg)
      const log = createLogger({ level: config.logLevel, name: 'playcount', pretty: process.stderr.isTTY })
      let started: ServiceName[] = []
      if (opts.services && usesLocalServices(config)) {
        const reports = (await servicesUp(config)).services
        started = reports.filter((r) => r.state === 'started').map((r) => r.name)
        for (const r of reports) console.log(`${r.name}: ${r.state} at ${r.address} (log ${r.logFile})`)
      }
      const pipeline = await buildPipeline(config, roles, log)
      const url = (await pipeline.start()).replace('[::1]', '127.0.0.1')
      console.log(`roles: ${roles.join(', ')}`)
      if (roles.includes('serve')) console.log(`dashboard: ${url}/   API docs: ${url}/docs`)

      let simulator: ChildProcess | undefined
      if (opts.simulate && roles.includes('ingest')) {
        simulator = spawn(process.execPath, [bin, 'generate', '--listeners', opts.listeners, '--rate', opts.rate,
          '--speed', 'realtime', '--start', 'now', '--duration', '3650d', '--seed', String(Date.now()),
          '--http', `${url}/v1/events`, '--no-progress'],
        { stdio: ['ignore', 'ignore', 'inherit'] })
        console.log(`simulator: ${opts.listeners} listeners at about ${opts.rate} events/s into ${url}/v1/events`)
      }

      let stopping = false
      const shutdown = async (signal: string): Promise<void> => {
        if (stopping) return
        stopping = true
        console.log(`\n${signal}: stopping`)
        simulator?.kill('SIGTERM')
        await pipeline.stop()
        if (started.length > 0) await servicesDown(config, started)
        console.log('stopped')
        process.exit(0)
      }
      process.on('SIGINT', () => void shutdown('SIGINT'))
      process.on('SIGTERM', () => void shutdown('SIGTERM'))
    })
}
