/** Reads back what landed on a test topic: every message with its key, from the beginning, by a fresh group. */
import type { KafkaMessage } from 'kafkajs'
import { onTestFinished } from 'vitest'
import type { Config } from '../../shared/config.ts'
import { createKafka, topicOffsets as readTopicOffsets, type PartitionBounds } from '../../shared/kafka.ts'
import { eventually, randomName } from '../helpers.ts'

export interface Received {
  key: string
  value: string
  partition: number
}

export async function readTopic(
  config: Readonly<Config>,
  expected: number,
  topic = config.kafka.topic,
): Promise<Received[]> {
  const kafka = createKafka(config)
  const consumer = kafka.consumer({ groupId: randomName('read') })
  onTestFinished(() => consumer.disconnect())
  const got: Received[] = []
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  await consumer.run({
    eachMessage: async ({ message, partition }: { message: KafkaMessage; partition: number }) => {
      got.push({ key: message.key?.toString() ?? '', value: message.value?.toString() ?? '', partition })
    },
  })
  await eventually(async () => (got.length >= expected ? true : undefined), 30_000, `${expected} messages on ${topic}`)
  return got
}

/** Each partition's log start and end, through a short-lived admin client. */
export async function topicOffsets(config: Readonly<Config>, topic = config.kafka.topic): Promise<PartitionBounds[]> {
  const admin = createKafka(config).admin()
  await admin.connect()
  try {
    return await readTopicOffsets(admin, topic)
  } finally {
    await admin.disconnect()
  }
}

/** How many messages the topic holds in total (sum of high watermarks). */
export async function topicSize(config: Readonly<Config>, topic = config.kafka.topic): Promise<number> {
  const offsets = await topicOffsets(config, topic)
  return offsets.reduce((sum, o) => sum + Number(o.high), 0)
}
