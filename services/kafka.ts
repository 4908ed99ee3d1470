/**
 * Apache Kafka in KRaft mode (one node, broker and controller) from Maven Central's jars on the installed JDK.
 * The jars are fetched once by Maven into the cache folder; storage is formatted on first start.
 */
import { execFileSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Kafka, logLevel } from 'kafkajs'
import { Errors } from '../shared/errors.ts'
import { startDetached, waitFor, tailFile, type Spawned } from './process.ts'
import { runTool, type ProvisionReporter } from './tool.ts'

export const KAFKA_VERSION = '3.9.1'
const POM = path.join(path.dirname(fileURLToPath(import.meta.url)), 'kafka', 'pom.xml')
export const KAFKA_MARKER = 'kafka.Kafka'

export interface KafkaServiceOptions {
  cacheDir: string
  dir: string
  port: number
  controllerPort: number
}

/** Copies the broker's jars from Maven Central into the cache; a no-op when they are there. Returns the folder. */
export async function ensureKafkaJars(cacheDir: string, reporter: ProvisionReporter): Promise<string> {
  const libs = kafkaLibs(cacheDir)
  const done = path.join(libs, '.complete')
  if (fs.existsSync(done)) return libs
  await runTool(
    {
      what: `Kafka ${KAFKA_VERSION}`,
      doing: `fetching Kafka ${KAFKA_VERSION}'s jars from Maven Central once with mvn (about 1 min)`,
      cachedIn: libs,
      logFile: path.join(cacheDir, 'logs', 'kafka-fetch.log'),
      hint: 'Kafka runs from its Maven Central jars: install a JDK 17 or newer and Maven (mvn), and let Maven reach repo.maven.apache.org',
    },
    [
      {
        cmd: 'mvn',
        args: [
          '-B',
          '-f',
          POM,
          'dependency:copy-dependencies',
          '-DincludeScope=runtime',
          `-Dkafka.version=${KAFKA_VERSION}`,
          `-DoutputDirectory=${libs}`,
        ],
      },
    ],
    reporter,
  )
  fs.writeFileSync(done, new Date().toISOString())
  return libs
}

export function kafkaLibs(cacheDir: string): string {
  return path.join(cacheDir, `kafka-${KAFKA_VERSION}`, 'libs')
}

function writeConfig(o: KafkaServiceOptions): string {
  const data = path.join(o.dir, 'data')
  fs.mkdirSync(data, { recursive: true })
  const props = [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${o.controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${o.port},CONTROLLER://127.0.0.1:${o.controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${o.port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${data}`,
    'num.partitions=1',
    'auto.create.topics.enable=false',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'log.retention.hours=168',
  ].join('\n')
  const file = path.join(o.dir, 'server.properties')
  fs.writeFileSync(file, `${props}\n`)
  fs.writeFileSync(
    path.join(o.dir, 'log4j.properties'),
    [
      'log4j.rootLogger=WARN, stdout',
      'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
      'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
      'log4j.logger.kafka.server.KafkaServer=INFO',
    ].join('\n'),
  )
  return file
}

export function startKafka(o: KafkaServiceOptions): Spawned {
  const libs = kafkaLibs(o.cacheDir)
  if (!fs.existsSync(path.join(libs, '.complete')))
    throw new Errors.SERVICE_START_FAILED('kafka', `${libs} is not complete: run playcount services provision`)
  const conf = writeConfig(o)
  const cp = `${libs}/*`
  const log4j = `-Dlog4j.configuration=file:${path.join(o.dir, 'log4j.properties')}`
  if (!fs.existsSync(path.join(o.dir, 'data', 'meta.properties'))) {
    execFileSync('java', ['-cp', cp, log4j, 'kafka.tools.StorageTool', 'format', '-t', clusterId(), '-c', conf], {
      stdio: 'ignore',
    })
  }
  return startDetached({
    cmd: 'java',
    args: ['-Xms256m', '-Xmx1g', '-XX:+UseG1GC', '-Djava.awt.headless=true', log4j, '-cp', cp, KAFKA_MARKER, conf],
    pidFile: path.join(o.dir, 'kafka.pid'),
    logFile: path.join(o.dir, 'kafka.log'),
  })
}

function clusterId(): string {
  return crypto.randomBytes(16).toString('base64url').slice(0, 22)
}

/** True when the broker answers a metadata request. */
export async function kafkaAnswers(brokers: string[]): Promise<boolean> {
  const admin = new Kafka({
    clientId: 'playcount-probe',
    brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 1000,
  }).admin()
  try {
    await admin.connect()
    const cluster = await admin.describeCluster()
    return cluster.brokers.length > 0 && cluster.controller !== null
  } catch {
    return false
  } finally {
    await admin.disconnect().catch(() => undefined)
  }
}

export async function waitForKafka(brokers: string[], logFile: string, timeoutMs = 90_000): Promise<void> {
  if (!(await waitFor(() => kafkaAnswers(brokers), timeoutMs, 500))) {
    throw new Errors.SERVICE_START_FAILED(
      'kafka',
      `no metadata from ${brokers.join(',')} in ${timeoutMs} ms; log:\n${tailFile(logFile)}`,
    )
  }
}
