/**
 * Worker threads that run a TypeScript module, and the one way playcount talks to them: calls answered in order.
 *
 * Node 20 ignores `--import tsx` in a worker's execArgv (the worker then fails with "Unknown file extension .ts"),
 * so the worker starts from a small script that registers tsx's loader itself and then imports the module.
 *
 * Every file loaded after that goes through tsx's hooks thread, about 1 ms of CPU a file, and TypeBox alone is 266
 * files: the packages the shared modules of every worker import (shared/event.ts, shared/errors.ts) are therefore
 * loaded first by Node's own loader, and the later imports of the same URLs find them loaded. Measured: the archiver's
 * encoder thread starts in 0.57-0.61 s of CPU instead of 0.95-1.12 s. A package missing here is only slower to load.
 * A thread whose start cost matters can skip tsx altogether: `bundled` runs it from one JavaScript file
 * (worker-bundle.ts).
 */
import { parentPort, Worker, type WorkerOptions } from 'node:worker_threads'
import { Errors } from '../errors.ts'
import { workerBundle } from './worker-bundle.ts'

const PRELOAD = ['@sinclair/typebox', '@sinclair/typebox/compiler', '@fastify/error'].map((p) => import.meta.resolve(p))

export function tsWorker(module: URL, options: Omit<WorkerOptions, 'eval'> = {}): Worker {
  const boot =
    `Promise.all(${JSON.stringify(PRELOAD)}.map((url) => import(url)))` +
    `.then(() => import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})).then((tsx) => { tsx.register(); ` +
    `return import(${JSON.stringify(module.href)}) })`
  return new Worker(boot, { ...options, eval: true })
}

/**
 * A thread started from the bundle of its module graph (worker-bundle.ts); through tsx if no bundle can be had (e.g.
 * a read-only install), which is only slower to start.
 */
export function bundledWorker(module: URL, options: Omit<WorkerOptions, 'eval'> = {}, cacheDir?: string): Worker {
  let bundle: string
  try {
    bundle = workerBundle(module, cacheDir)
  } catch (err) {
    process.emitWarning(`no bundle of ${module.pathname} (${(err as Error).message}); the thread starts through tsx`)
    return tsWorker(module, options)
  }
  // A bundle needs no loader: without execArgv the thread does not inherit the process's `--import tsx` either
  // (a process started by tsx), which still cost it 0.07-0.10 s of CPU to start.
  return new Worker(bundle, { ...options, execArgv: [] })
}

export interface OrderedWorkerOptions {
  /** Runs once if the thread dies. */
  onFailure?: (err: Error) => void
  /** Starts the thread from a bundle of its module graph (worker-bundle.ts) instead of through tsx. */
  bundled?: boolean
}

export type OrderedReply<T> = { ok: true; value: T } | { ok: false; message: string }

/**
 * The calling side of a worker that answers every message, in the order received (`answerInOrder`). A call that the
 * worker could not answer rejects with PLAYCOUNT_INTERNAL naming `what`; if the thread dies, every pending and later
 * call rejects, and `onFailure` runs once.
 */
export class OrderedWorker<Req, Res> {
  private readonly worker: Worker
  /** Callers waiting for their answer, oldest first. */
  private readonly waiting: Array<{ resolve: (v: Res) => void; reject: (err: Error) => void }> = []
  private failure: Error | undefined

  constructor(module: URL, workerData: unknown, what: string, options: OrderedWorkerOptions = {}) {
    const { onFailure = () => {}, bundled = false } = options
    this.worker = bundled ? bundledWorker(module, { workerData }) : tsWorker(module, { workerData })
    this.worker.on('message', (reply: OrderedReply<Res>) => {
      const w = this.waiting.shift()
      if (w === undefined) return
      if (reply.ok) w.resolve(reply.value)
      else w.reject(new Errors.INTERNAL(`${what}: ${reply.message}`))
    })
    const fail = (err: Error): void => {
      if (this.failure) return
      this.failure = new Errors.INTERNAL(`${what} thread stopped: ${err.message}`, { cause: err })
      for (const w of this.waiting.splice(0)) w.reject(this.failure)
      onFailure(this.failure)
    }
    this.worker.on('error', fail)
    this.worker.on('exit', (code) => fail(new Error(`exit code ${code}`)))
  }

  /** Sends `req`; the buffers in `transfer` move to the worker and are unusable here afterwards. */
  call(req: Req, transfer: ArrayBuffer[] = []): Promise<Res> {
    if (this.failure) return Promise.reject(this.failure)
    return new Promise<Res>((resolve, reject) => {
      this.waiting.push({ resolve, reject })
      this.worker.postMessage(req, transfer)
    })
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit')
    await this.worker.terminate()
  }
}

/** The worker side: answers each message with `handle`'s result (or its error's message), in order. */
export function answerInOrder<Req, Res>(
  handle: (req: Req) => Res,
  transferOf: (res: Res) => ArrayBuffer[] = () => [],
): void {
  const port = parentPort!
  port.on('message', (req: Req) => {
    let reply: OrderedReply<Res>
    try {
      reply = { ok: true, value: handle(req) }
    } catch (err) {
      reply = { ok: false, message: (err as Error).message }
    }
    port.postMessage(reply, reply.ok ? transferOf(reply.value) : [])
  })
}
