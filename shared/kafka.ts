/** Kafka clients and topics, configured once from Config. */
import { Kafka, logLevel, type Admin, type ITopicConfig, type LogEntry } from 'kafkajs'
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
    logCreator: () => (entry) => {
      if (!log) return
      const { message, ...rest } = entry.log
      log[kafkaLogLevel(entry)]({ namespace: entry.namespace, ...rest }, message)
    },
  })
}

/**
 * Errors kafkajs logs while it retries by itself, which a fresh or restarting broker answers for a few seconds:
 * the group coordinator is still starting or loading its offsets, a coordinator moved, a new topic's partitions
 * have no leader yet. kafkajs retries them; if the retries run out, the operation fails and that is reported.
 */
const RETRIED_BY_KAFKAJS = new Set([
  'The group coordinator is not available',
  "The coordinator is loading and hence can't process requests for this group",
  'This is not the correct coordinator for this group',
  'There is no leader for this topic-partition as we are in the middle of a leadership election',
])

/**
 * kafkajs warns this whenever an idempotent producer has bounded retries. playcount bounds them on purpose: a send
 * that fails after them is answered 503 by the collector or retried by the archiver, with the same eventId, and a
 * duplicate eventId counts once (docs/ARCHITECTURE.md). Nothing for a reader of the log to do.
 */
const BOUNDED_IDEMPOTENT_RETRIES = 'Limiting retries for the idempotent producer may invalidate EoS guarantees'

/** The pino level of a kafkajs log entry: its own, except for the normal retries above, which are debug. */
export function kafkaLogLevel(entry: Pick<LogEntry, 'namespace' | 'level' | 'log'>): 'error' | 'warn' | 'debug' {
  const { message, error } = entry.log as { message: string; error?: unknown }
  if (typeof error === 'string' && RETRIED_BY_KAFKAJS.has(error)) return 'debug'
  if (RETRIED_BY_KAFKAJS.has(message) || message === BOUNDED_IDEMPOTENT_RETRIES) return 'debug'
  if (entry.level === logLevel.ERROR) return 'error'
  if (entry.level === logLevel.WARN) return 'warn'
  return 'debug'
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
  await withRetry(
    async () => {
      const { topics: meta } = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.topic) })
      const leaderless = meta.flatMap((t) =>
        t.partitions.filter((p) => p.leader < 0).map((p) => `${t.name}/${p.partitionId}`),
      )
      if (leaderless.length > 0) throw new Errors.KAFKA_UNAVAILABLE(`no leader yet for ${leaderless.join(', ')}`)
    },
    { what: 'waiting for topic leaders', retries: 20, minTimeoutMs: 50, maxTimeoutMs: 1000 },
  )
}

/**
 * Each partition's log start (`low`) and end (`high`). Retried (bounded): right after a topic is created, or while a
 * broker restarts, the broker answers "not the leader" for a while, and kafkajs's admin retries only an unknown topic.
 */
export async function topicOffsets(admin: Admin, topic: string, log?: Logger): Promise<PartitionBounds[]> {
  return withRetry(() => admin.fetchTopicOffsets(topic), {
    what: `read the offsets of ${topic}`,
    ...(log ? { log } : {}),
  })
}

/** Each partition's first offset at or after arrival time `timestamp` (ms), retried like `topicOffsets`. */
export async function topicOffsetsAt(
  admin: Admin,
  topic: string,
  timestamp: number,
  log?: Logger,
): Promise<{ partition: number; offset: string }[]> {
  return withRetry(() => admin.fetchTopicOffsetsByTimestamp(topic, timestamp), {
    what: `read the offsets of ${topic} at ${new Date(timestamp).toISOString()}`,
    ...(log ? { log } : {}),
  })
}

export interface PartitionBounds {
  partition: number
  offset: string
  low: string
  high: string
}

export function groupId(config: Readonly<Config>, role: string): string {
  return `${config.kafka.groupPrefix}.${config.kafka.topic}.${role}`
}
