/**
 * Listener traffic for the end-to-end suites: the simulator's events POSTed to the collector in NDJSON batches,
 * resent until the collector answers 202 (a 503 means Kafka did not take them; resending keeps the same eventIds).
 * What the collector accepted is the ground truth's input.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { ListenEvent } from '../../../shared/event.ts'

export interface TrafficResult {
  batches: number
  sent: number
  accepted: ListenEvent[]
  retries: number
  rejected: number
}

export async function sendTraffic(
  url: string,
  batches: Array<Array<{ line: string; event: ListenEvent }>>,
  opts: { ratePerSecond: number; signal?: AbortSignal },
): Promise<TrafficResult> {
  const result: TrafficResult = { batches: 0, sent: 0, accepted: [], retries: 0, rejected: 0 }
  const t0 = Date.now()
  for (const batch of batches) {
    for (;;) {
      const res = await fetch(`${url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body: batch.map((b) => b.line).join('\n'),
        signal: AbortSignal.timeout(15_000),
      }).catch(() => undefined)
      if (res?.status === 202) {
        const answer = (await res.json()) as { accepted: number; rejected: Array<{ index: number }> }
        const refused = new Set(answer.rejected.map((r) => r.index))
        result.rejected += refused.size
        batch.forEach((b, i) => {
          if (!refused.has(i)) result.accepted.push(b.event)
        })
        break
      }
      await res?.text()
      result.retries++
      await sleep(500)
    }
    result.batches++
    result.sent += batch.length
    // Pace to the target rate so the faults land while traffic flows.
    const due = t0 + (result.sent / opts.ratePerSecond) * 1000
    if (due > Date.now()) await sleep(due - Date.now())
  }
  return result
}
