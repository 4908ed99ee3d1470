/**
 * `simulate` on a worker thread, for --speed max runs into Kafka: generation and the producer's encoding then use
 * two cores instead of taking turns on one. The output is the same stream, in the same order, in packed batches.
 */
import { tsWorker } from '../../shared/fast/ts-worker.ts'
import { unpack, type EventLines } from './event-lines.ts'
import type { SimOptions } from './simulate.ts'
import { SimSummary } from './summary.ts'
import type { Batch, Done, WorkerInput } from './worker.ts'

export interface ThreadedRun {
  batches: AsyncGenerator<EventLines, void, undefined>
  /** Resolves once the batches are consumed: what the worker emitted. */
  summary: () => SimSummary
}

export function simulateInWorker(
  sim: SimOptions,
  opts: { batchSize?: number; maxAhead?: number; partitions?: number | undefined } = {},
): ThreadedRun {
  const { catalog, ...rest } = sim
  const outstanding = new SharedArrayBuffer(4)
  const counter = new Int32Array(outstanding)
  const input: WorkerInput = {
    sim: rest,
    artists: [...catalog.artists.values()],
    songs: [...catalog.songs.values()],
    batchSize: opts.batchSize ?? 5000,
    maxAhead: opts.maxAhead ?? 4,
    outstanding,
    partitions: opts.partitions,
  }
  const worker = tsWorker(new URL('./worker.ts', import.meta.url), { workerData: input })
  const summary = new SimSummary()
  const queue: Array<Batch | Done | Error> = []
  let wake: (() => void) | undefined
  const push = (m: Batch | Done | Error): void => {
    queue.push(m)
    wake?.()
  }
  worker.on('message', (m: Batch | Done) => push(m))
  worker.on('error', (err) => push(err))
  worker.on('exit', (code) => {
    if (code !== 0) push(new Error(`simulator worker exited with code ${code}`))
  })

  async function* batches(): AsyncGenerator<EventLines, void, undefined> {
    try {
      for (;;) {
        while (queue.length === 0)
          await new Promise<void>((resolve) => {
            wake = resolve
          })
        wake = undefined
        const m = queue.shift()!
        if (m instanceof Error) throw m
        if (m.type === 'done') {
          Object.assign(summary, m.summary)
          return
        }
        Atomics.sub(counter, 0, 1)
        Atomics.notify(counter, 0)
        yield unpack(m.packed)
      }
    } finally {
      await worker.terminate()
    }
  }
  return { batches: batches(), summary: () => summary }
}
