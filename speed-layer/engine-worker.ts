/** The engine thread: one SpeedEngine answering EngineClient calls in order (see engine-client.ts). */
import { parentPort, workerData } from 'node:worker_threads'
import { dispatch, type EngineCall, type EngineReply } from './engine-client.ts'
import { SpeedEngine, type EncodedBatch, type EngineSetup } from './engine.ts'

const setup = workerData as EngineSetup
const engine = new SpeedEngine(setup)
const port = parentPort!
let taken = 0
port.on('message', (call: EngineCall) => {
  if (call.method === 'ingest') taken += (call.args[0] as EncodedBatch).count
  // The fault tests' crash: gone before answering, the batch's counts lost with everything else.
  if (setup.exitAfterMessages !== undefined && taken >= setup.exitAfterMessages) process.exit(70)
  let reply: EngineReply
  try {
    reply = { id: call.id, ok: true, value: dispatch(engine, call.method, call.args) }
  } catch (err) {
    const e = err as Error
    reply = { id: call.id, ok: false, name: e.name, message: e.message }
  }
  port.postMessage(reply)
})
