/**
 * The dead-letter topic `<topic>.dlq`, shared by every consumer: the original bytes, the reason code, the field and
 * rule, and the source partition/offset. Its key is `partition:offset` of the source message, so a message that
 * two roles (or a replay) dead-letter again is recognisably the same one: readers count distinct keys.
 */
import type { IHeaders, Producer } from 'kafkajs'
import type { EventIssue } from './event.ts'

export interface DeadLetter {
  sourceTopic: string
  partition: number
  offset: string
  value: Buffer | null
  issue: EventIssue
}

export function dlqKey(partition: number, offset: string): string {
  return `${partition}:${offset}`
}

export function toDlqMessage(d: DeadLetter): { key: string; value: Buffer | null; headers: IHeaders } {
  return {
    key: dlqKey(d.partition, d.offset),
    value: d.value,
    headers: {
      reason: d.issue.reason, field: d.issue.field, rule: d.issue.rule,
      'source-topic': d.sourceTopic, 'source-partition': String(d.partition), 'source-offset': d.offset,
    },
  }
}

export async function sendDeadLetters(producer: Producer, dlqTopic: string, letters: DeadLetter[]): Promise<void> {
  if (letters.length === 0) return
  await producer.send({ topic: dlqTopic, acks: -1, messages: letters.map(toDlqMessage) })
}
