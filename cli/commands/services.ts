import type { Command } from 'commander'
import { loadConfig } from '../../shared/config.ts'
import {
  provision,
  servicesDown,
  servicesStatus,
  servicesUp,
  type ProvisionTimes,
  type ServiceReport,
} from '../../services/services.ts'
import { terminalReporter } from '../../services/tool.ts'

function print(reports: ServiceReport[]): void {
  for (const r of reports) {
    const pid = r.pid === undefined ? '' : ` pid ${r.pid}`
    const secs = r.seconds === undefined ? '' : ` in ${r.seconds.toFixed(1)} s`
    console.log(`${r.name.padEnd(6)} ${r.state.padEnd(11)} ${r.address.padEnd(24)}${pid}${secs}  log: ${r.logFile}`)
  }
}

function printProvisioned(t: ProvisionTimes): void {
  const total = t.kafka + t.minio + t.httpfs + (t.spark ?? 0)
  const spark = t.spark === undefined ? '' : `, pyspark ${t.spark.toFixed(1)} s`
  console.log(
    `provisioned in ${total.toFixed(1)} s (kafka ${t.kafka.toFixed(1)} s, minio ${t.minio.toFixed(1)} s, httpfs ${t.httpfs.toFixed(1)} s${spark})`,
  )
}

export function registerServices(program: Command): void {
  const services = program.command('services').description('run Kafka (KRaft) and MinIO on 127.0.0.1 without Docker')
  services
    .command('provision')
    .description(
      "fetch Kafka's jars, build MinIO, fetch DuckDB's httpfs and install pyspark for the Spark batch engine (cached), start nothing",
    )
    .option('--no-spark', 'skip the pyspark virtualenv (about 500 MB)')
    .action(async (opts: { spark: boolean }) =>
      printProvisioned(await provision(loadConfig(), terminalReporter(), { spark: opts.spark })),
    )
  services
    .command('up')
    .description('fetch (once, cached) and start the services; waits until they answer')
    .action(async () => {
      const { provisioned, services } = await servicesUp(loadConfig())
      printProvisioned(provisioned)
      print(services)
    })
  services
    .command('down')
    .description('stop exactly the processes `up` started (pid files)')
    .action(async () => print(await servicesDown(loadConfig())))
  services
    .command('status')
    .description('exit 0 only when every service answers')
    .action(async () => {
      const reports = await servicesStatus(loadConfig())
      print(reports)
      if (reports.some((r) => r.state === 'down')) process.exitCode = 1
    })
}
