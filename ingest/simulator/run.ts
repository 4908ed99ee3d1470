/**
 * Drives a simulation into a sink: `max` emits as fast as the sink takes it, `realtime` paces events at wall-clock
 * speed (an event simulated d ms after the start leaves d ms after the run began), and `rate` caps lines per second
 * in either mode. Progress is reported a few times per second; the summary comes back at the end.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Sink } from './sinks.ts'
import { simulate, type SimOptions } from './simulate.ts'
import { SimSummary } from './summary.ts'

export type Speed = 'realtime' | 'max'

export interface RunOptions {
  speed: Speed
  /** Lines per second at most (0 or undefined: no cap). */
  rate?: number
  onProgress?: (p: { fraction: number; summary: SimSummary; seconds: number }) => void
  signal?: AbortSignal
}

export async function runSimulation(sim: SimOptions, sink: Sink, run: RunOptions): Promise<{ summary: SimSummary; seconds: number }> {
  const summary = new SimSummary()
  const wall0 = performance.now()
  const elapsed = (): number => performance.now() - wall0
  let lastProgress = 0
  const progress = (): void => {
    const at = summary.emitted > 0 ? summary.lastAt : sim.start
    run.onProgress?.({ fraction: Math.min(1, Math.max(0, (at - sim.start) / sim.durationMs)), summary, seconds: elapsed() / 1000 })
  }
  // An aborted sleep just ends the wait; the loop then sees the signal and stops.
  const pause = (ms: number): Promise<unknown> => sleep(ms, undefined, run.signal ? { signal: run.signal } : {}).catch(() => undefined)
  for (const out of simulate(sim)) {
    if (run.signal?.aborted) break
    if (run.speed === 'realtime') {
      const wait = (out.at - sim.start) - elapsed()
      if (wait > 0) {
        await sink.flush()
        progress()
        await pause(wait)
      }
    }
    if (run.rate) {
      const wait = (summary.emitted / run.rate) * 1000 - elapsed()
      if (wait > 5) {
        await sink.flush()
        await pause(wait)
      }
    }
    const pending = sink.write(out)
    if (pending) await pending
    summary.add(out)
    if ((summary.emitted & 1023) === 0 && elapsed() - lastProgress > 250) {
      lastProgress = elapsed()
      progress()
    }
  }
  await sink.flush()
  progress()
  return { summary, seconds: elapsed() / 1000 }
}
