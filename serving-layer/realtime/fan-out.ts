/**
 * Asks every realtime view (in-process or one per speed instance) and keeps only answers that can be added:
 * ready, for the watermark asked, on partitions no other answer covered. Anything else — an instance down, slow,
 * not ready, or a partition nobody answered for — makes the result `complete: false` with what is missing,
 * so a report never undercounts silently (nor double counts a partition two instances both claim).
 */
import type { RealtimeView } from '../../shared/realtime.ts'

export interface NamedView {
  name: string
  view: RealtimeView
}

export interface Missing {
  instances: Array<{ instance: string; reason: string }>
  /** Kafka partitions that no usable answer covered. */
  partitions: number[]
}

export interface Collected<T> {
  /** The answers that can be added together. */
  answers: T[]
  complete: boolean
  missing: Missing
  /** Every instance's outcome, usable or not (for /v1/status). */
  outcomes: Array<{ instance: string; value?: T; error?: string }>
}

interface Coverable {
  ready: boolean
  partitions: number[]
  reason?: string
  watermark?: number
}

export function nameViews(views: readonly RealtimeView[]): NamedView[] {
  return views.map((view, i) => ({ view, name: (view as { name?: unknown }).name?.toString() ?? `in-process-${i}` }))
}

export async function collect<T extends Coverable>(
  views: readonly NamedView[],
  call: (v: RealtimeView) => Promise<T>,
  partitionCount: number,
  watermark?: number,
): Promise<Collected<T>> {
  let settled: Array<PromiseSettledResult<T>>
  if (views.length === 1) {
    // The in-process view (one view): asked without Promise.allSettled's array and resolver per element, nor
    // another async layer, on a report's hot path; the outcome is what allSettled would give.
    const answer = call(views[0]!.view)
    try {
      settled = [{ status: 'fulfilled', value: await answer }]
    } catch (reason) {
      settled = [{ status: 'rejected', reason }]
    }
  } else settled = await Promise.allSettled(views.map((v) => call(v.view)))
  const answers: T[] = []
  const missing: Missing = { instances: [], partitions: [] }
  const covered = new Set<number>()
  const outcomes: Collected<T>['outcomes'] = []
  settled.forEach((s, i) => {
    const instance = views[i]!.name
    if (s.status === 'rejected') {
      const error = (s.reason as Error)?.message ?? String(s.reason)
      outcomes.push({ instance, error })
      missing.instances.push({ instance, reason: error })
      return
    }
    const a = s.value
    outcomes.push({ instance, value: a })
    if (!a.ready) {
      missing.instances.push({ instance, reason: `not ready${a.reason ? `: ${a.reason}` : ''}` })
      return
    }
    if (watermark !== undefined && a.watermark !== watermark) {
      missing.instances.push({ instance, reason: `answered for watermark ${String(a.watermark)}, asked ${watermark}` })
      return
    }
    const twice = a.partitions.filter((p) => covered.has(p))
    if (twice.length > 0) {
      missing.instances.push({
        instance,
        reason: `partitions ${twice.join(',')} also answered by another instance (rebalancing)`,
      })
      return
    }
    for (const p of a.partitions) covered.add(p)
    answers.push(a)
  })
  for (let p = 0; p < partitionCount; p++) if (!covered.has(p)) missing.partitions.push(p)
  return { answers, complete: missing.instances.length === 0 && missing.partitions.length === 0, missing, outcomes }
}
