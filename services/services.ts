/** `playcount services up|down|status`: Kafka, MinIO and DuckDB's httpfs on 127.0.0.1, without Docker. */
import path from 'node:path'
import type { Config } from '../shared/config.ts'
import { ensureHttpfs } from './httpfs.ts'
import { ensurePyspark } from './spark.ts'
import { KAFKA_MARKER, kafkaAnswers, startKafka, waitForKafka, ensureKafkaJars } from './kafka.ts'
import { MINIO_MARKER, s3Answers, startMinio, waitForS3, ensureMinioBinary } from './minio.ts'
import { isOurs, readPid, stopByPidFile } from './process.ts'
import { terminalReporter, type ProvisionReporter } from './tool.ts'

export type ServiceName = 'kafka' | 'minio'

export interface ServiceReport {
  name: ServiceName
  state: 'started' | 'running' | 'external' | 'stopped' | 'not-running' | 'down'
  address: string
  logFile: string
  pid?: number
  seconds?: number
}

interface Spec {
  name: ServiceName
  address: string
  dir: string
  pidFile: string
  logFile: string
  marker: string
  answers: () => Promise<boolean>
  fetch: (reporter: ProvisionReporter) => Promise<unknown>
  start: () => { pid: number }
  waitReady: () => Promise<void>
}

function specs(config: Readonly<Config>): Spec[] {
  const s = config.services
  const kafkaDir = path.join(s.dir, 'kafka')
  const minioDir = path.join(s.dir, 'minio')
  const brokers = [`127.0.0.1:${s.kafkaPort}`]
  const endpoint = `http://127.0.0.1:${s.minioPort}`
  return [
    {
      name: 'kafka',
      address: brokers[0] ?? '',
      dir: kafkaDir,
      marker: KAFKA_MARKER,
      pidFile: path.join(kafkaDir, 'kafka.pid'),
      logFile: path.join(kafkaDir, 'kafka.log'),
      answers: () => kafkaAnswers(brokers),
      fetch: (reporter) => ensureKafkaJars(config.cacheDir, reporter),
      start: () =>
        startKafka({
          cacheDir: config.cacheDir,
          dir: kafkaDir,
          port: s.kafkaPort,
          controllerPort: s.kafkaControllerPort,
        }),
      waitReady: () => waitForKafka(brokers, path.join(kafkaDir, 'kafka.log')),
    },
    {
      name: 'minio',
      address: endpoint,
      dir: minioDir,
      marker: MINIO_MARKER,
      pidFile: path.join(minioDir, 'minio.pid'),
      logFile: path.join(minioDir, 'minio.log'),
      answers: () => s3Answers(endpoint),
      fetch: (reporter) => ensureMinioBinary(config.cacheDir, reporter),
      start: () =>
        startMinio({ cacheDir: config.cacheDir, dir: minioDir, port: s.minioPort, consolePort: s.minioConsolePort }),
      waitReady: () => waitForS3(endpoint, path.join(minioDir, 'minio.log')),
    },
  ]
}

export interface ProvisionTimes {
  kafka: number
  minio: number
  httpfs: number
  spark?: number
}

/**
 * Fetches (or finds in the cache) everything the services need, timing each part. What is fetched or built says so
 * through `reporter` (one line each, the tool's output in a log file under the cache); what is cached is silent.
 * With `spark`, also the pinned pyspark the batch layer's Spark engine runs in local mode (the tests; `services up`
 * does not need it).
 */
export async function provision(
  config: Readonly<Config>,
  reporter: ProvisionReporter = terminalReporter(),
  opts: { spark?: boolean } = {},
): Promise<ProvisionTimes> {
  const times: ProvisionTimes = { kafka: 0, minio: 0, httpfs: 0 }
  for (const spec of specs(config)) {
    const t0 = Date.now()
    await spec.fetch(reporter)
    times[spec.name] = (Date.now() - t0) / 1000
  }
  const t0 = Date.now()
  await ensureHttpfs(config.cacheDir, reporter)
  times.httpfs = (Date.now() - t0) / 1000
  if (opts.spark === true) {
    const t1 = Date.now()
    await ensurePyspark(config.cacheDir, reporter)
    times.spark = (Date.now() - t1) / 1000
  }
  return times
}

export interface UpResult {
  provisioned: ProvisionTimes
  services: ServiceReport[]
}

/** Provisions, then starts what is not running; idempotent. Waits until each service really answers. */
export async function servicesUp(config: Readonly<Config>, reporter?: ProvisionReporter): Promise<UpResult> {
  const provisioned = await provision(config, reporter)
  const all = specs(config)
  const reports = all.map((spec) => {
    const pid = readPid(spec.pidFile)
    if (pid !== undefined && isOurs(pid, spec.marker))
      return { spec, state: 'running' as const, pid: pid as number | undefined, t0: Date.now() }
    return { spec, state: 'pending' as const, pid: undefined as number | undefined, t0: Date.now() }
  })
  for (const r of reports) {
    if (r.state === 'pending' && (await r.spec.answers())) {
      Object.assign(r, { state: 'external' })
    } else if (r.state === 'pending') {
      r.pid = r.spec.start().pid
      Object.assign(r, { state: 'started' })
    }
  }
  await Promise.all(reports.map((r) => r.spec.waitReady()))
  const services = reports.map((r) => ({
    name: r.spec.name,
    state: r.state as ServiceReport['state'],
    address: r.spec.address,
    logFile: r.spec.logFile,
    ...(r.pid === undefined ? {} : { pid: r.pid }),
    seconds: (Date.now() - r.t0) / 1000,
  }))
  return { provisioned, services }
}

/** Stops exactly the processes `up` started (by their pid files). */
export async function servicesDown(config: Readonly<Config>, only?: ServiceName[]): Promise<ServiceReport[]> {
  const out: ServiceReport[] = []
  for (const spec of specs(config).reverse()) {
    if (only && !only.includes(spec.name)) continue
    const state = await stopByPidFile(spec.pidFile, spec.marker)
    out.push({ name: spec.name, state, address: spec.address, logFile: spec.logFile })
  }
  return out
}

export async function servicesStatus(config: Readonly<Config>): Promise<ServiceReport[]> {
  return Promise.all(
    specs(config).map(async (spec) => {
      const pid = readPid(spec.pidFile)
      const ours = pid !== undefined && isOurs(pid, spec.marker)
      const answers = await spec.answers()
      const state: ServiceReport['state'] = answers ? (ours ? 'running' : 'external') : 'down'
      return {
        name: spec.name,
        state,
        address: spec.address,
        logFile: spec.logFile,
        ...(ours && pid !== undefined ? { pid } : {}),
      }
    }),
  )
}

export async function startOne(config: Readonly<Config>, name: ServiceName): Promise<void> {
  const spec = specs(config).find((s) => s.name === name)
  if (!spec) return
  spec.start()
  await spec.waitReady()
}
