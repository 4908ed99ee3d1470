/** Kafka clients and topics, configured once from Config. */
import { Kafka, logLevel, type Admin, type ITopicConfig } from 'kafkajs'
import type { Config } from './config.ts'
import { Errors } from './errors.ts'
import type { Logger } from './logger.ts'
import { withRetry } from './retry.ts'

export function createKafka(config: Readonly<Config>, log?: Logger, clientSuffix = ''): Kafka {
  return new Kafka({
    clientId: `${config.kafka.clientId}${clientSuffix ? `-${clientSuffix}` : ''}`,
    brokers: [...config.kafka.brokers],
    connectionTimeout: 3000,
    requestTimeout: 30_000,
    retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5000 },
    logLevel: logLevel.WARN,
    logCreator: () => ({ namespace, level, log: entry }) => {
      if (!log) return
      const { message, ...rest } = entry
      const fields = { namespace, ...rest }
      if (level === logLevel.ERROR) log.error(fields, message)
      else if (level === logLevel.WARN) log.warn(fields, message)
      else log.debug(fields, message)
    },
  })
}

const SEVEN_DAYS_MS = String(7 * 24 * 3600 * 1000)

/** The topic, its DLQ and its signals topic, created when absent: LogAppendTime (arrival time), retention of at least 7 days. */
export function topicSpecs(config: Readonly<Config>): ITopicConfig[] {
  const configEntries = [
    { name: 'message.timestamp.type', value: 'LogAppendTime' },
    { name: 'retention.ms', value: SEVEN_DAYS_MS },
  ]
  return [
    { topic: config.kafka.topic, numPartitions: config.kafka.partitions, replicationFactor: 1, configEntries },
    { topic: config.kafka.dlqTopic, numPartitions: 1, replicationFactor: 1, configEntries },
    // As many partitions as the events: the speed layer writes a partition's signals to the same-numbered one.
    { topic: config.kafka.signalsTopic, numPartitions: config.kafka.partitions, replicationFactor: 1, configEntries },
  ]
}

export async function ensureTopics(admin: Admin, config: Readonly<Config>): Promise<void> {
  const existing = new Set(await admin.listTopics())
  const missing = topicSpecs(config).filter((t) => !existing.has(t.topic))
  if (missing.length === 0) return
  await createTopicsAndWait(admin, missing)
}

/** Ensures the topic and its DLQ exist (with a short-lived admin client) and returns the topic's partition count. */
export async function prepareTopics(kafka: Kafka, config: Readonly<Config>): Promise<number> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    await ensureTopics(admin, config)
    const meta = await admin.fetchTopicMetadata({ topics: [config.kafka.topic] })
    return meta.topics[0]?.partitions.length ?? config.kafka.partitions
  } finally {
    await admin.disconnect()
  }
}

/**
 * Creates topics and waits until every partition has a leader. kafkajs's own `waitForLeaders` gives up on a fresh
 * broker that answers UNKNOWN_TOPIC_OR_PARTITION for a moment after creation, so the wait is ours.
 */
export async function createTopicsAndWait(admin: Admin, topics: ITopicConfig[]): Promise<void> {
  try {
    await admin.createTopics({ topics, waitForLeaders: false })
  } catch (err) {
    // Another process may have created it between listTopics and createTopics.
    if ((err as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') throw err
  }
  await withRetry(async () => {
    const { topics: meta } = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.topic) })
    const leaderless = meta.flatMap((t) => t.partitions.filter((p) => p.leader < 0).map((p) => `${t.name}/${p.partitionId}`))
    if (leaderless.length > 0) throw new Errors.KAFKA_UNAVAILABLE(`no leader yet for ${leaderless.join(', ')}`)
  }, { what: 'waiting for topic leaders', retries: 20, minTimeoutMs: 50, maxTimeoutMs: 1000 })
}

export function groupId(config: Readonly<Config>, role: string): string {
  return `${config.kafka.groupPrefix}.${config.kafka.topic}.${role}`
}
