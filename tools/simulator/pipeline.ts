/**
 * Batches items and hands each full batch to `send`, with at most `maxInFlight` sends outstanding: the writer
 * waits only when that many are. A failed send surfaces on the next hand-over or flush.
 */
export class Pipeline<T> {
  private buffer: T[] = []
  private readonly inflight = new Set<Promise<void>>()
  private failure: { err: unknown } | undefined

  constructor(
    private readonly batchSize: number,
    private readonly send: (batch: T[]) => Promise<void>,
    private readonly maxInFlight = 1,
  ) {}

  add(item: T): Promise<void> | undefined {
    this.buffer.push(item)
    return this.buffer.length >= this.batchSize ? this.dispatch() : undefined
  }

  private async dispatch(): Promise<void> {
    while (this.inflight.size >= this.maxInFlight) await Promise.race(this.inflight)
    this.rethrow()
    if (this.buffer.length === 0) return
    const batch = this.buffer
    this.buffer = []
    const p: Promise<void> = this.send(batch)
      .catch((err: unknown) => {
        this.failure ??= { err }
      })
      .finally(() => this.inflight.delete(p))
    this.inflight.add(p)
  }

  async flush(): Promise<void> {
    await this.dispatch()
    while (this.inflight.size > 0) await Promise.race(this.inflight)
    this.rethrow()
  }

  private rethrow(): void {
    const f = this.failure
    this.failure = undefined
    if (f) throw f.err
  }
}
