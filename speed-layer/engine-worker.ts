/** The engine thread: one SpeedEngine answering EngineClient calls in order (see engine-client.ts). */
import { workerData } from 'node:worker_threads'
import { answerInOrder } from '../shared/fast/ts-worker.ts'
import { dispatch, type EngineCall } from './engine-client.ts'
import { SpeedEngine, type EngineBatch, type EngineSetup } from './engine.ts'

const setup = workerData as EngineSetup
const engine = new SpeedEngine(setup)
let taken = 0
answerInOrder((call: EngineCall) => {
  if (call.method === 'ingest') taken += (call.args[0] as EngineBatch).count
  // The fault tests' crash: gone before answering, the batch's counts lost with everything else.
  if (setup.exitAfterMessages !== undefined && taken >= setup.exitAfterMessages) process.exit(70)
  return dispatch(engine, call.method, call.args)
})
