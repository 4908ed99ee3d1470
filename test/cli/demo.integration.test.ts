/**
 * `playcount demo` (what `npm start` runs): on the local services — here the shared test services, which it must
 * find already running and leave running — it writes the default catalog, runs every role and a simulator whose
 * events reach the topic, and stops cleanly on Ctrl-C, simulator included.
 */
import { inject } from 'vitest'
import { describe, expect, it } from 'vitest'
import { kafkaAnswers } from '../../services/kafka.ts'
import { s3Answers } from '../../services/minio.ts'
import { hasCatalog } from '../../shared/catalog/store.ts'
import { openLake } from '../../shared/lake.ts'
import { cleanupTopics, eventually, testConfig } from '../helpers.ts'
import { childEnv, childPids, CliProcess, isAlive } from './cli-process.ts'
import { topicSize } from '../support/kafka-read.ts'

/** The demo checks for services on KAFKA_PORT and MINIO_PORT: those of the test services. */
function servicePorts(): Record<string, string> {
  return { KAFKA_PORT: new URL(`kafka://${inject('kafkaBrokers')}`).port, MINIO_PORT: new URL(inject('s3Endpoint')).port }
}

describe('playcount demo', () => {
  it('uses the running services, feeds simulated listeners through the collector, and stops cleanly on SIGINT', async () => {
    const config = testConfig()
    cleanupTopics(config)
    const demo = new CliProcess(['demo', '--listeners', '2000', '--rate', '100'], childEnv(config, servicePorts()))
    const base = (await demo.line(/^dashboard: (http:\/\/\S+)\//m, 120_000))[1] ?? ''
    // Already running, so not started: Ctrl-C must leave them alone.
    expect(demo.stdout).toMatch(/^kafka: external /m)
    expect(demo.stdout).toMatch(/^minio: external /m)
    expect(demo.stdout).toMatch(/^simulator: 2000 listeners/m)
    const simulators = childPids(demo.child.pid ?? -1)
    expect(simulators).toHaveLength(1)

    await eventually(async () => ((await topicSize(config)) > 0 ? true : undefined), 60_000, 'simulated events in the topic')
    await eventually(async () => ((await fetch(`${base}/readyz`)).ok ? true : undefined), 60_000, 'readyz')
    const lake = openLake(config)
    try {
      expect(await hasCatalog(lake)).toBe(true)
    } finally {
      lake.close()
    }

    demo.child.kill('SIGINT')
    expect(await demo.exit()).toBe(0)
    expect(demo.stdout).toContain('stopped')
    expect(simulators.filter(isAlive)).toEqual([])
    expect(await kafkaAnswers(config.kafka.brokers)).toBe(true)
    expect(await s3Answers(inject('s3Endpoint'))).toBe(true)
  })

  it('refuses a Kafka cluster other than the local one, before touching anything', async () => {
    const config = testConfig()
    const demo = new CliProcess(['demo'], childEnv(config, { ...servicePorts(), KAFKA_BROKERS: 'kafka.example.com:9092' }))
    expect(await demo.exit()).toBe(1)
    expect(demo.stderr).toContain('PLAYCOUNT_CONFIG_INVALID')
    expect(demo.stderr).toContain('KAFKA_BROKERS must be the local broker')
    expect(demo.stdout).toBe('')
  })
})
