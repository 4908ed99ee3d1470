import type { Command } from 'commander'
import { loadConfig } from '../../shared/config.ts'
import { createLogger } from '../../shared/logger.ts'
import { buildPipeline, parseRoles, ROLES } from '../pipeline.ts'
import { stopOnSignal } from '../shutdown.ts'

const HELP = `
Roles: ${ROLES.join(', ')} (default: all of them in one process).

Runs against the configured services (KAFKA_BROKERS, KAFKA_TOPIC, LAKE_URI, S3_*): it never starts local Kafka or
MinIO and never simulates listeners. The lake must hold a catalog (playcount catalog generate ..., or your own
catalog/artists.parquet and catalog/songs.parquet). To try playcount on this machine, run playcount demo.

Each role as its own process (same KAFKA_BROKERS, KAFKA_TOPIC and LAKE_URI for all):
  PORT=8081 playcount start speed
  PORT=8082 playcount start speed          # a second speed instance: the group splits the partitions
  PORT=8083 playcount start archiver
  PORT=8084 playcount start batch-scheduler
  PORT=8085 playcount start ingest
  PORT=8080 SPEED_URLS=http://127.0.0.1:8081,http://127.0.0.1:8082 playcount start serve
The serving layer sums the speed instances' answers and says complete:false when one is down or not ready.
With API_TOKEN (and INTERNAL_TOKEN for /internal/speed/* and /metrics) set alike on every process, the
serving layer sends the internal token to the speed instances.`

export function registerStart(program: Command): void {
  program
    .command('start')
    .argument('[roles]', `comma-separated roles: ${ROLES.join(',')}`)
    .description('run the roles asked for in one process against the configured Kafka and lake (production)')
    .addHelpText('after', HELP)
    .action(async (rolesArg: string | undefined) => {
      const config = loadConfig()
      const roles = parseRoles(rolesArg)
      const log = createLogger({ level: config.logLevel, name: 'playcount', format: config.logFormat })
      const pipeline = await buildPipeline(config, roles, log)
      const url = (await pipeline.start()).replace('[::1]', '127.0.0.1')
      // Says what runs and against what, so an operator (and the tests) can see that nothing else was started.
      console.log(
        `roles: ${roles.join(', ')} on topic ${config.kafka.topic} at ${config.kafka.brokers.join(',')}, lake ${config.lakeUri}`,
      )
      if (roles.includes('serve')) console.log(`dashboard: ${url}/   API docs: ${url}/docs`)
      stopOnSignal(() => pipeline.stop())
    })
}
