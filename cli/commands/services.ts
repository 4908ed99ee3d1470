import type { Command } from 'commander'
import { loadConfig } from '../../shared/config.ts'
import { provision, servicesDown, servicesStatus, servicesUp, type ServiceReport } from '../../services/services.ts'

function print(reports: ServiceReport[]): void {
  for (const r of reports) {
    const pid = r.pid === undefined ? '' : ` pid ${r.pid}`
    const secs = r.seconds === undefined ? '' : ` in ${r.seconds.toFixed(1)} s`
    console.log(`${r.name.padEnd(6)} ${r.state.padEnd(11)} ${r.address.padEnd(24)}${pid}${secs}  log: ${r.logFile}`)
  }
}

export function registerServices(program: Command): void {
  const services = program.command('services').description('run Kafka (KRaft) and MinIO on 127.0.0.1 without Docker')
  services.command('provision').description('fetch Kafka\'s jars, build MinIO and fetch DuckDB\'s httpfs (cached), start nothing')
    .action(() => {
      const t0 = Date.now()
      const times = provision(loadConfig())
      console.log(`provisioned in ${((Date.now() - t0) / 1000).toFixed(1)} s (kafka ${times.kafka.toFixed(1)} s, minio ${times.minio.toFixed(1)} s, httpfs ${times.httpfs.toFixed(1)} s)`)
    })
  services.command('up').description('fetch (once, cached) and start the services; waits until they answer')
    .action(async () => {
      const config = loadConfig()
      const t0 = Date.now()
      const times = provision(config)
      console.log(`provisioned in ${((Date.now() - t0) / 1000).toFixed(1)} s (kafka ${times.kafka.toFixed(1)} s, minio ${times.minio.toFixed(1)} s, httpfs ${times.httpfs.toFixed(1)} s)`)
      print(await servicesUp(config))
    })
  services.command('down').description('stop exactly the processes `up` started (pid files)')
    .action(async () => print(await servicesDown(loadConfig())))
  services.command('status').description('exit 0 only when every service answers')
    .action(async () => {
      const reports = await servicesStatus(loadConfig())
      print(reports)
      if (reports.some((r) => r.state === 'down')) process.exitCode = 1
    })
}
