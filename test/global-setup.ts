/**
 * Integration tests talk to a real Kafka broker and a real S3 server. When KAFKA_BROKERS and S3_ENDPOINT are set,
 * those are used; otherwise `playcount services up` starts them, and teardown stops only what it started.
 */
import type { TestProject } from 'vitest/node'
import { loadConfig } from '../shared/config.ts'
import { servicesDown, servicesUp, type ServiceName } from '../services/services.ts'

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string
    s3Endpoint: string
    cacheDir: string
  }
}

let started: ServiceName[] = []

export async function setup(project: TestProject): Promise<void> {
  const external = process.env.KAFKA_BROKERS && process.env.S3_ENDPOINT
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'info' })
  if (external) {
    project.provide('kafkaBrokers', process.env.KAFKA_BROKERS ?? '')
    project.provide('s3Endpoint', process.env.S3_ENDPOINT ?? '')
  } else {
    const t0 = Date.now()
    const { provisioned: times, services: reports } = await servicesUp(config)
    started = reports.filter((r) => r.state === 'started').map((r) => r.name)
    process.stderr.write(
      `services: provisioning ${JSON.stringify(times)} s, ready in ${((Date.now() - t0) / 1000).toFixed(1)} s; ` +
        reports.map((r) => `${r.name} ${r.state} at ${r.address}`).join(', ') +
        '\n',
    )
    project.provide('kafkaBrokers', `127.0.0.1:${config.services.kafkaPort}`)
    project.provide('s3Endpoint', `http://127.0.0.1:${config.services.minioPort}`)
  }
  project.provide('cacheDir', config.cacheDir)
}

export async function teardown(): Promise<void> {
  if (started.length === 0) return
  await servicesDown(loadConfig(), started)
}
