/**
 * The archiver's encoder thread: RowEncoder on a worker thread, so decoding Kafka batches (the consuming thread) and
 * validating and encoding rows (this thread) use two cores. A batch is handed over as flat buffers, transferred,
 * not copied; answers come back in the order the batches were sent.
 */
import { Errors } from '../../shared/errors.ts'
import { tsWorker } from '../../shared/ts-worker.ts'
import type { PackedBatch } from '../../shared/kafka-batch.ts'
import type { EncodedRows } from './row-encoder.ts'

export interface EncoderSetup { songs: Array<[songId: string, artistId: string]> }
export type EncoderReply = { ok: true; rows: EncodedRows } | { ok: false; message: string }

export class EncoderThread {
  private readonly worker
  /** Callers waiting for their answer, oldest first. */
  private readonly waiting: Array<{ resolve: (rows: EncodedRows) => void; reject: (err: Error) => void }> = []
  private failure: Error | undefined

  constructor(setup: EncoderSetup) {
    this.worker = tsWorker(new URL('./encoder-worker.ts', import.meta.url), { workerData: setup })
    this.worker.on('message', (reply: EncoderReply) => {
      const w = this.waiting.shift()
      if (w === undefined) return
      if (reply.ok) w.resolve(reply.rows)
      else w.reject(new Errors.INTERNAL(`encoding a batch: ${reply.message}`))
    })
    const fail = (err: Error): void => {
      this.failure = new Errors.INTERNAL(`archiver encoder thread stopped: ${err.message}`, { cause: err })
      for (const w of this.waiting.splice(0)) w.reject(this.failure)
    }
    this.worker.on('error', fail)
    this.worker.on('exit', (code) => fail(new Error(`exit code ${code}`)))
  }

  /** Hands the batch over (its values, starts and ends move to the encoder thread and are unusable here afterwards). */
  encode(b: PackedBatch): Promise<EncodedRows> {
    if (this.failure) return Promise.reject(this.failure)
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject })
      // The values move; offsets and arrival times are copied (the partition state reads them afterwards).
      this.worker.postMessage(b, [b.values.buffer as ArrayBuffer, b.starts.buffer as ArrayBuffer, b.ends.buffer as ArrayBuffer])
    })
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit')
    await this.worker.terminate()
  }
}
