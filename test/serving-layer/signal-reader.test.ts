/**
 * The serving layer's signals reader may not hold a stop: with no broker answering (a closed port), its start
 * retries, and its stop returns within STOP_WAIT_MS instead of waiting for those retries.
 */
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../shared/config.ts'
import { createLogger } from '../../shared/logger.ts'
import { SignalReader, STOP_WAIT_MS } from '../../serving-layer/signals/signal-reader.ts'
import { SignalStore } from '../../serving-layer/signals/signal-store.ts'

describe('signals reader', () => {
  it('stops within its bound while its start still retries against a broker that does not answer', async () => {
    const config = loadConfig({ KAFKA_BROKERS: '127.0.0.1:1' })
    const reader = new SignalReader(config, new SignalStore(), createLogger({ level: 'silent' }), 10)
    // Its start goes on retrying in the background (bounded by kafkajs's retries); stop does not wait for it.
    reader.start().catch(() => undefined)
    await new Promise((resolve) => setTimeout(resolve, 200))
    const t0 = Date.now()
    await reader.stop()
    expect(Date.now() - t0).toBeLessThan(STOP_WAIT_MS + 1000)
    expect(reader.live).toBe(false)
  }, 20_000)
})
