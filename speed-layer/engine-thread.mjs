// Entry of the engine thread: a worker does not inherit the main thread's TypeScript loader, so it registers tsx
// itself (as bin/playcount.js does) before loading the engine.
import { register } from 'tsx/esm/api'

register()
await import('./engine-worker.ts')
