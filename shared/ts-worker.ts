/**
 * A worker thread that runs a TypeScript module. Node 20 ignores `--import tsx` in a worker's execArgv (the worker
 * then fails with "Unknown file extension .ts"), so the worker starts from a small script that registers tsx's
 * loader itself and then imports the module.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads'

export function tsWorker(module: URL, options: Omit<WorkerOptions, 'eval'> = {}): Worker {
  const boot = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); ` +
    `return import(${JSON.stringify(module.href)}) })`
  return new Worker(boot, { ...options, eval: true })
}
