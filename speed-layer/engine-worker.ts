/** The engine thread: one SpeedEngine answering EngineClient calls in order (see engine-client.ts). */
import { parentPort, workerData } from 'node:worker_threads'
import { dispatch, type EngineCall, type EngineReply } from './engine-client.ts'
import { SpeedEngine, type EngineSetup } from './engine.ts'

const engine = new SpeedEngine(workerData as EngineSetup)
const port = parentPort!
port.on('message', (call: EngineCall) => {
  let reply: EngineReply
  try {
    reply = { id: call.id, ok: true, value: dispatch(engine, call.method, call.args) }
  } catch (err) {
    const e = err as Error
    reply = { id: call.id, ok: false, name: e.name, message: e.message }
  }
  port.postMessage(reply)
})
