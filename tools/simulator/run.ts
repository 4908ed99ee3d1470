/**
 * Drives a simulation into a sink: `max` emits as fast as the sink takes it, `realtime` paces events at wall-clock
 * speed (an event simulated d ms after the start leaves d ms after the run began), and `rate` caps lines per second
 * in either mode. Uncapped `max` runs can simulate on a worker thread (`threaded`). Progress is reported a few
 * times per second; the summary comes back at the end.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { keyAt, lineAt } from './event-lines.ts'
import type { Sink } from './sinks.ts'
import { simulate, type SimOptions } from './simulate.ts'
import { SimSummary } from './summary.ts'
import { simulateInWorker } from './threaded.ts'

export type Speed = 'realtime' | 'max'

export interface Progress {
  fraction: number
  emitted: number
  seconds: number
}

export interface RunOptions {
  speed: Speed
  /** Lines per second at most (0 or undefined: no cap). */
  rate?: number
  /** Simulate on a worker thread when the run is uncapped `max` (the output is the same). */
  threaded?: boolean
  onProgress?: (p: Progress) => void
  signal?: AbortSignal
}

export async function runSimulation(
  sim: SimOptions,
  sink: Sink,
  run: RunOptions,
): Promise<{ summary: SimSummary; seconds: number }> {
  const wall0 = performance.now()
  const elapsed = (): number => performance.now() - wall0
  let emitted = 0
  let lastAt = sim.start
  let lastProgress = 0
  const progress = (): void => {
    run.onProgress?.({
      fraction: Math.min(1, Math.max(0, (lastAt - sim.start) / sim.durationMs)),
      emitted,
      seconds: elapsed() / 1000,
    })
  }
  const tick = (): void => {
    if ((emitted & 1023) === 0 && elapsed() - lastProgress > 250) {
      lastProgress = elapsed()
      progress()
    }
  }

  if (run.threaded && run.speed === 'max' && !run.rate) {
    const threaded = simulateInWorker(sim, { partitions: sink.partitions })
    for await (const b of threaded.batches) {
      if (run.signal?.aborted) break
      if (sink.writeBatch) {
        const pending = sink.writeBatch(b)
        if (pending) await pending
      } else {
        for (let i = 0; i < b.count; i++) {
          const pending = sink.write(keyAt(b, i).toString(), lineAt(b, i).toString())
          if (pending) await pending
        }
      }
      emitted += b.count
      lastAt = b.lastAt
      if (elapsed() - lastProgress > 250) {
        lastProgress = elapsed()
        progress()
      }
    }
    await sink.flush()
    progress()
    return { summary: threaded.summary(), seconds: elapsed() / 1000 }
  }

  const summary = new SimSummary()
  // An aborted sleep just ends the wait; the loop then sees the signal and stops.
  const pause = (ms: number): Promise<unknown> =>
    sleep(ms, undefined, run.signal ? { signal: run.signal } : {}).catch(() => undefined)
  for (const out of simulate(sim)) {
    if (run.signal?.aborted) break
    if (run.speed === 'realtime') {
      const wait = out.at - sim.start - elapsed()
      if (wait > 0) {
        await sink.flush()
        progress()
        await pause(wait)
      }
    }
    if (run.rate) {
      const wait = (emitted / run.rate) * 1000 - elapsed()
      if (wait > 5) {
        await sink.flush()
        await pause(wait)
      }
    }
    const pending = sink.write(out.key, out.line)
    if (pending) await pending
    summary.add(out)
    emitted++
    lastAt = out.at
    tick()
  }
  await sink.flush()
  progress()
  return { summary, seconds: elapsed() / 1000 }
}
