/**
 * The archiver's dead letters (README, "Dead letters"): collected while batches are applied, then sent to the DLQ
 * with bounded retries; what the DLQ refuses or keeps failing on is written to the lake's `deadletters/` folder
 * instead. A flush therefore always ends (unless the lake is down, which stops archiving anyway), and the
 * checkpoint after it never commits past a message that is neither archived nor durably dead-lettered.
 */
import type { Producer } from 'kafkajs'
import { isRefusal, sendDeadLetters, toLakeLetter, type DeadLetter, type DeadLetterStatus } from '../../shared/dlq.ts'
import type { Lake } from '../../shared/lake.ts'
import { deadLetterKey } from '../../shared/layout.ts'
import type { Logger } from '../../shared/logger.ts'
import type { ArchiverTelemetry } from './telemetry.ts'

/**
 * DLQ sends: a few retries (about 10 s at most), then the letters go to the lake. After a send that failed for a
 * reason other than a refusal, letters go straight to the lake for DLQ_PAUSE_MS, so a DLQ that is down does not
 * cost every batch the retries; the first flush after the pause tries the DLQ again.
 */
const DLQ_RETRY = { retries: 3, minTimeoutMs: 200, maxTimeoutMs: 2_000, maxElapsedMs: 10_000 }
const DLQ_PAUSE_MS = 30_000

export interface DeadLetterDeps {
  topic: string
  dlqTopic: string
  lake: Lake
  log: Logger
  signal: AbortSignal
  /** The archiver's retry-until-stopped wrapper for lake writes (it heart-beats the group meanwhile). */
  durably: <T>(what: string, fn: () => Promise<T>) => Promise<T>
}

export class DeadLetters {
  /** Letters kept so far (acknowledged by the DLQ or in the lake), for the drain summary. */
  kept = 0
  private pending: DeadLetter[] = []
  private pausedUntil = 0
  private readonly status: DeadLetterStatus = { pending: 0, delivered: 0, inLake: 0, sendFailures: 0, lastError: null }

  constructor(
    private readonly deps: DeadLetterDeps,
    private readonly telemetry: ArchiverTelemetry,
  ) {}

  get pendingCount(): number {
    return this.pending.length
  }

  push(letter: DeadLetter): void {
    this.pending.push(letter)
  }

  snapshot(): DeadLetterStatus {
    return { ...this.status, pending: this.pending.length }
  }

  /** Sends or stores every pending letter; called one at a time (the archiver's serial queue). */
  async flush(producer: Producer): Promise<void> {
    if (this.pending.length === 0) return
    const { dlqTopic, log, signal } = this.deps
    const letters = this.pending
    const { unsent, error } =
      Date.now() < this.pausedUntil
        ? { unsent: letters, error: undefined }
        : await sendDeadLetters(producer, dlqTopic, letters, { ...DLQ_RETRY, log, signal })
    this.count('dlq', letters.length - unsent.length)
    if (error !== undefined) {
      this.status.sendFailures++
      this.status.lastError = { message: error.message, at: new Date().toISOString() }
      this.telemetry.dlqSendFailures.inc({ refused: String(isRefusal(error)) })
      if (!isRefusal(error)) this.pausedUntil = Date.now() + DLQ_PAUSE_MS
      log.error(
        { err: error, letters: unsent.length, dlq: dlqTopic },
        'dead letters not acknowledged by the DLQ; keeping them in the lake',
      )
    }
    for (const l of unsent) {
      await this.deps.durably(`keep dead letter p${l.partition} o${l.offset} in the lake`, () =>
        this.deps.lake.putBytes(deadLetterKey(this.deps.topic, l.partition, l.offset), toLakeLetter(l)),
      )
    }
    this.count('lake', unsent.length)
    this.pending = []
  }

  private count(destination: 'dlq' | 'lake', n: number): void {
    if (n === 0) return
    this.kept += n
    if (destination === 'dlq') this.status.delivered += n
    else this.status.inLake += n
    this.telemetry.deadLetters.inc({ destination }, n)
  }
}
