/**
 * The archiver's encoder thread: RowEncoder on a worker thread, so decoding Kafka batches (the consuming thread) and
 * validating and encoding rows (this thread) use two cores. A batch is handed over as flat buffers, transferred,
 * not copied; answers come back in the order the batches were sent.
 */
import type { KafkaBatchBuffers } from '../../shared/fast/batch-packing.ts'
import { OrderedWorker } from '../../shared/fast/ts-worker.ts'
import type { EncodedRows } from './row-encoder.ts'

/** The thread's module; started from its bundle (shared/fast/worker-bundle.ts). */
export const ENCODER_MODULE = new URL('./encoder-worker.ts', import.meta.url)

export interface EncoderSetup {
  songs: Array<[songId: string, artistId: string]>
}

export class EncoderThread {
  private readonly worker: OrderedWorker<KafkaBatchBuffers, EncodedRows>

  constructor(setup: EncoderSetup) {
    // Bundled: the thread starts in a third of the CPU it takes through tsx (shared/fast/worker-bundle.ts).
    this.worker = new OrderedWorker(ENCODER_MODULE, setup, 'archiver encoder', { bundled: true })
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
