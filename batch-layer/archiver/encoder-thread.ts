/**
 * The archiver's encoder thread: RowEncoder on a worker thread, so decoding Kafka batches (the consuming thread) and
 * validating and encoding rows (this thread) use two cores. A batch is handed over as flat buffers, transferred,
 * not copied; answers come back in the order the batches were sent.
 */
import type { KafkaBatchBuffers } from '../../shared/fast/batch-packing.ts'
import { OrderedWorker } from '../../shared/fast/ts-worker.ts'
import type { EncodedRows } from './row-encoder.ts'

export interface EncoderSetup {
  songs: Array<[songId: string, artistId: string]>
}

export class EncoderThread {
  private readonly worker: OrderedWorker<KafkaBatchBuffers, EncodedRows>

  constructor(setup: EncoderSetup) {
    this.worker = new OrderedWorker(new URL('./encoder-worker.ts', import.meta.url), setup, 'archiver encoder')
  }

  /** Hands the batch over (its values, starts and ends move to the encoder thread and are unusable here afterwards). */
  encode(b: KafkaBatchBuffers): Promise<EncodedRows> {
    // The values move; offsets and arrival times are copied (the partition state reads them afterwards).
    return this.worker.call(b, [
      b.values.buffer as ArrayBuffer,
      b.starts.buffer as ArrayBuffer,
      b.ends.buffer as ArrayBuffer,
    ])
  }

  close(): Promise<void> {
    return this.worker.close()
  }
}
