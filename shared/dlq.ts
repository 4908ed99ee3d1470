/**
 * The dead-letter topic `<topic>.dlq`: the original bytes, the reason code, the field and rule, and the source
 * partition/offset. Its key is `partition:offset` of the source message, so a re-sent letter (a replay after a
 * crash) is recognisably the same one. One role writes it: the archiver, the system of record (README, "Dead
 * letters"); the speed layer only counts what it rejects.
 *
 * Size. A message the broker accepted on the topic may not fit once re-sent with a key and headers (a value near
 * the broker's 1 MiB `message.max.bytes`, or a large value that arrived gzip-compressed). Any value over
 * MAX_EVENT_BYTES (16 KiB) is invalid anyway (reason `too_large`), so a letter keeps at most its first
 * DLQ_KEPT_BYTES bytes and says so: headers `truncated: true`, `original-size` (bytes) and `sha256` (hex digest of
 * the whole original value). A letter is then at most 16 KiB of value plus a few hundred bytes of key and headers,
 * and one produce request carries at most DLQ_REQUEST_BYTES of letters, far below the broker's default 1 MiB.
 *
 * Delivery. A send is retried a bounded number of times (shared/retry.ts); a letter the broker refuses (too large,
 * invalid record, policy) or that is still unsent after the retries is written to the lake instead, under
 * `deadletters/topic=<topic>/p{partition}-o{offset}.json` (shared/layout.ts) with its whole original value, before
 * the archiver commits past it. Either way it is never retried forever.
 */
import { createHash } from 'node:crypto'
import type { IHeaders, Producer } from 'kafkajs'
import { Errors } from './errors.ts'
import { MAX_EVENT_BYTES, type EventIssue } from './event.ts'
import { withRetry, type RetryOptions } from './retry.ts'

export interface DeadLetter {
  sourceTopic: string
  partition: number
  offset: string
  value: Buffer | null
  issue: EventIssue
}

/** Bytes of the value a DLQ letter keeps: every valid event fits whole; a longer value is invalid (too_large). */
export const DLQ_KEPT_BYTES = MAX_EVENT_BYTES

/** Letters per produce request, in bytes of value: a request stays far below the broker's default 1 MiB. */
export const DLQ_REQUEST_BYTES = 256 * 1024

/** Kafka error types that mean the broker will refuse the same letter again: no retry helps. */
const REFUSALS = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'POLICY_VIOLATION',
  'TOPIC_AUTHORIZATION_FAILED',
])

/** What the archiver reports about its dead letters (GET /v1/status `deadLetters`, and /metrics). */
export interface DeadLetterStatus {
  /** Letters found and neither acknowledged by the DLQ nor durable in the lake yet. */
  pending: number
  /** Letters the DLQ acknowledged. */
  delivered: number
  /** Letters written to the lake's dead-letter folder because the DLQ refused them or kept failing. */
  inLake: number
  /** Sends that failed after their retries (or were refused). */
  sendFailures: number
  lastError: { message: string; at: string } | null
}

export function dlqKey(partition: number, offset: string): string {
  return `${partition}:${offset}`
}

export function sha256(value: Buffer): string {
  return createHash('sha256').update(value).digest('hex')
}

export function toDlqMessage(d: DeadLetter): { key: string; value: Buffer | null; headers: IHeaders } {
  const truncated = d.value !== null && d.value.length > DLQ_KEPT_BYTES
  // A value over 16 KiB is too_large by the event contract; the validator says so first, this keeps it certain.
  const issue: EventIssue = truncated
    ? { reason: 'too_large', field: '(event)', rule: `must be at most ${MAX_EVENT_BYTES} bytes` }
    : d.issue
  const headers: IHeaders = {
    reason: issue.reason,
    field: issue.field,
    rule: issue.rule,
    'source-topic': d.sourceTopic,
    'source-partition': String(d.partition),
    'source-offset': d.offset,
  }
  if (truncated && d.value !== null) {
    headers.truncated = 'true'
    headers['original-size'] = String(d.value.length)
    headers.sha256 = sha256(d.value)
  }
  return {
    key: dlqKey(d.partition, d.offset),
    value: truncated ? d.value!.subarray(0, DLQ_KEPT_BYTES) : d.value,
    headers,
  }
}

/** The lake copy of a letter: the whole original value (base64), its size and digest; determined by the log. */
export function toLakeLetter(d: DeadLetter): string {
  return JSON.stringify({
    key: dlqKey(d.partition, d.offset),
    sourceTopic: d.sourceTopic,
    partition: d.partition,
    offset: d.offset,
    reason: d.issue.reason,
    field: d.issue.field,
    rule: d.issue.rule,
    size: d.value?.length ?? null,
    sha256: d.value === null ? null : sha256(d.value),
    value: d.value?.toString('base64') ?? null,
  })
}

/** Whether the broker refused the letters for good (walks kafkajs's `cause` chain for the protocol error type). */
export function isRefusal(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (REFUSALS.has(String((e as { type?: unknown }).type))) return true
  }
  return false
}

/** Letters grouped into produce requests of at most DLQ_REQUEST_BYTES of value each. */
function requests(letters: DeadLetter[]): DeadLetter[][] {
  const out: DeadLetter[][] = []
  let bytes = Number.POSITIVE_INFINITY
  for (const l of letters) {
    const size = Math.min(l.value?.length ?? 0, DLQ_KEPT_BYTES) + 512
    if (bytes + size > DLQ_REQUEST_BYTES) {
      out.push([])
      bytes = 0
    }
    out.at(-1)!.push(l)
    bytes += size
  }
  return out
}

export interface SendOutcome {
  /** Letters not acknowledged: the broker refused them, or the retries ran out (then every later one too). */
  unsent: DeadLetter[]
  error?: Error
}

/**
 * Sends the letters with bounded retries per request. Never throws for a broker failure: what was not
 * acknowledged comes back in `unsent` with the error, for the caller to keep durably elsewhere.
 */
export async function sendDeadLetters(
  producer: Producer,
  dlqTopic: string,
  letters: DeadLetter[],
  retry: Omit<RetryOptions, 'what'>,
): Promise<SendOutcome> {
  const all = requests(letters)
  for (let i = 0; i < all.length; i++) {
    const batch = all[i]!
    try {
      await withRetry(
        async () => {
          try {
            await producer.send({ topic: dlqTopic, acks: -1, messages: batch.map(toDlqMessage) })
          } catch (err) {
            if (isRefusal(err)) throw new Errors.DLQ_REFUSED(`${dlqTopic}: ${(err as Error).message}`, { cause: err })
            throw err
          }
        },
        { ...retry, what: `send ${batch.length} dead letters to ${dlqTopic}` },
      )
    } catch (err) {
      if (retry.signal?.aborted) throw err
      const error = err instanceof Error ? err : new Error(String(err))
      // A refused request fails alone; any other failure (retries exhausted) sends none of the rest.
      return {
        unsent: isRefusal(err)
          ? [...batch, ...(await rest(producer, dlqTopic, all.slice(i + 1), retry))]
          : all.slice(i).flat(),
        error,
      }
    }
  }
  return { unsent: [] }
}

async function rest(
  producer: Producer,
  dlqTopic: string,
  batches: DeadLetter[][],
  retry: Omit<RetryOptions, 'what'>,
): Promise<DeadLetter[]> {
  return batches.length === 0 ? [] : (await sendDeadLetters(producer, dlqTopic, batches.flat(), retry)).unsent
}
