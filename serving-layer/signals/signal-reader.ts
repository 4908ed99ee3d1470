/**
 * Reads `<topic>.signals` into a SignalStore: on start, the last `perPartition` signals of each partition, then
 * everything new. It has a consumer group of its own per process (every serving replica holds the same signals),
 * commits nothing, and deletes its group when it stops.
 */
import crypto from 'node:crypto'
import type { Admin, Consumer } from 'kafkajs'
import type { Config } from '../../shared/config.ts'
import { createKafka, groupId, topicOffsets } from '../../shared/kafka.ts'
import type { Logger } from '../../shared/logger.ts'
import { SignalSchema, type Signal } from '../../shared/signals.ts'
import { Value } from '@sinclair/typebox/value'
import type { SignalStore } from './signal-store.ts'

/** How long a stop waits for the reader to leave its group and disconnect. */
export const STOP_WAIT_MS = 3000

export class SignalReader {
  private readonly consumer: Consumer
  private readonly admin: Admin
  private readonly topic: string
  private readonly group: string
  private starting: Promise<void> | undefined
  /** Joined and sought: the store holds the tail of the topic and follows it. */
  live = false
  invalid = 0

  constructor(
    config: Readonly<Config>,
    private readonly store: SignalStore,
    private readonly log: Logger,
    private readonly perPartition: number,
  ) {
    const kafka = createKafka(config, log, 'signals-reader')
    this.topic = config.kafka.signalsTopic
    this.group = `${groupId(config, 'signals-reader')}.${crypto.randomBytes(6).toString('hex')}`
    this.consumer = kafka.consumer({ groupId: this.group, maxWaitTimeInMs: 500 })
    this.admin = kafka.admin()
  }

  /** Starts reading; `stop` waits for a start in progress, so a quick stop leaves no connection behind. */
  start(): Promise<void> {
    this.starting = this.begin()
    return this.starting
  }

  private async begin(): Promise<void> {
    await this.admin.connect()
    // The process wiring creates the topic with the others; a serving layer without one has no signals to show.
    if (!(await this.admin.listTopics()).includes(this.topic)) {
      this.log.info({ topic: this.topic }, 'no signals topic: GET /v1/signals stays empty')
      return
    }
    await this.consumer.connect()
    const ends = await topicOffsets(this.admin, this.topic, this.log)
    await this.consumer.subscribe({ topic: this.topic, fromBeginning: true })
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
      for (const o of ends) {
        const from = Math.max(Number(o.low), Number(o.high) - this.perPartition)
        this.consumer.seek({ topic: this.topic, partition: o.partition, offset: String(from) })
      }
      this.live = true
    })
    await this.consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        if (message.value === null) return
        let s: unknown
        try {
          s = JSON.parse(message.value.toString('utf8'))
        } catch {
          s = undefined
        }
        if (Value.Check(SignalSchema, s)) this.store.add(s as Signal)
        else this.invalid++
      },
    })
  }

  /**
   * Waits at most STOP_WAIT_MS: a broker that is unreachable or still electing its group coordinator would hold
   * the serving layer's stop for as long as kafkajs retries. The disconnect goes on in the background then.
   */
  async stop(): Promise<void> {
    if (this.starting === undefined) return
    let timer: NodeJS.Timeout | undefined
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), STOP_WAIT_MS).unref()
    })
    const closing = this.disconnect().catch((err: unknown) =>
      this.log.debug({ err }, 'the signals reader did not disconnect cleanly'),
    )
    if ((await Promise.race([closing, late])) === 'late')
      this.log.warn({ waitedMs: STOP_WAIT_MS }, 'the signals reader is still disconnecting; not waiting for it')
    clearTimeout(timer)
  }

  private async disconnect(): Promise<void> {
    await this.starting?.catch(() => undefined)
    this.live = false
    await this.consumer.disconnect()
    await this.admin
      .deleteGroups([this.group])
      .catch((err: unknown) => this.log.debug({ err, group: this.group }, 'could not delete the signals reader group'))
    await this.admin.disconnect()
  }
}
