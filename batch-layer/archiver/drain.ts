/**
 * The archiver's drain (`playcount archive --drain`, the demo's history): archive every partition this member is
 * assigned up to the log end seen when asked, write the open hours too, publish their progress, and say which
 * partitions another member of the group holds. It owns only the waiting and the summary; the partition state, the
 * write queue and the checkpoints stay the archiver's (archiver.ts), reached through `DrainHost`.
 */
import { once, type EventEmitter } from 'node:events'
import { AssignerProtocol } from 'kafkajs'
import type { ConsumerRunner } from '../../shared/consumer-runner.ts'
import { Errors } from '../../shared/errors.ts'
import { logBounds } from './offsets.ts'
import type { PartitionArchive } from './partition-archive.ts'
import type { DrainSummary, HeldElsewhere } from './types.ts'

/** A drain that has not joined its group by then stops with PLAYCOUNT_DRAIN_INCOMPLETE instead of waiting on. */
const DRAIN_JOIN_TIMEOUT_MS = 60_000

/** What a drain needs of the running archiver. */
export interface DrainHost {
  topic: string
  group: string
  /** The group membership and the admin client of the running consumer. */
  runner: Pick<ConsumerRunner<unknown>, 'admin' | 'membership'>
  /** The partitions this member archives. */
  owned: ReadonlyMap<number, PartitionArchive>
  /** Emits 'progress' on a batch applied, an assignment, a failure or a stop. */
  events: EventEmitter
  signal: AbortSignal
  /** The failure that stopped the archiver, if any. */
  failure(): Error | undefined
  /** How long after its first join a drain waits for partitions another member holds (archiver.ts DRAIN_SETTLE_MS). */
  settleMs: number
  /** When this member first joined its group (undefined before). */
  firstJoinAt(): number | undefined
  /** Runs `fn` with the partition state (one at a time, in the order asked). */
  serial<T>(fn: () => Promise<T>): Promise<T>
  /** Resolves once every closed file is in the lake. */
  writesIdle(): Promise<void>
  /** Closes what can be closed and checkpoints every partition (`force`). */
  tick(force: boolean): Promise<void>
  /** Files and rows written and dead letters kept by this process so far. */
  totals(): { files: number; rows: number; deadLetters: number }
}

function stopped(): Error {
  return new Errors.DRAIN_INCOMPLETE('the archiver was stopped before the end of the log')
}

/** Archive.drain() of a started archiver (see types.ts). */
export async function drain(host: DrainHost, started: number): Promise<DrainSummary> {
  if (host.signal.aborted) throw stopped()
  const { runner } = host
  const ends = await logBounds(runner.admin, host.topic)
  const all = [...ends.end.keys()]
  const settled = (): boolean =>
    runner.membership !== undefined &&
    (all.every((p) => runner.membership!.partitions.has(p)) ||
      Date.now() - (host.firstJoinAt() ?? Date.now()) >= host.settleMs)
  const reached = (): boolean =>
    settled() &&
    [...runner.membership!.partitions].every((p) => {
      const a = host.owned.get(p)
      return a !== undefined && a.position >= (ends.end.get(p) ?? 0)
    })
  while (!reached()) {
    const failure = host.failure()
    if (failure) throw failure
    if (host.signal.aborted) throw stopped()
    if (runner.membership === undefined && Date.now() - started > DRAIN_JOIN_TIMEOUT_MS) {
      throw new Errors.DRAIN_INCOMPLETE(
        `no partition assignment from consumer group ${host.group} within ${DRAIN_JOIN_TIMEOUT_MS / 1000} s`,
      )
    }
    await once(host.events, 'progress', { signal: AbortSignal.timeout(1000) }).catch(() => undefined)
  }
  const failure = host.failure()
  if (failure) throw failure
  const elsewhere = await heldElsewhere(host, all)
  return host.serial(async () => {
    for (const a of host.owned.values()) await a.closeForDrain()
    await host.writesIdle()
    const failed = host.failure()
    if (failed) throw failed
    await host.tick(true)
    return {
      ...host.totals(),
      durationMs: Date.now() - started,
      elsewhere,
      partitions: [...host.owned.values()]
        .map((a) => ({ partition: a.partition, nextOffset: String(a.nextOffset), closedThrough: a.closedThrough }))
        .sort((x, y) => x.partition - y.partition),
    }
  })
}

/** The topic's partitions not assigned to this member, and which members of the group hold them. */
async function heldElsewhere(host: DrainHost, all: number[]): Promise<HeldElsewhere> {
  const { runner } = host
  const mine = runner.membership!
  const partitions = all.filter((p) => !mine.partitions.has(p)).sort((a, b) => a - b)
  if (partitions.length === 0) return { partitions, members: [] }
  const { groups } = await runner.admin.describeGroups([host.group])
  const members = (groups[0]?.members ?? [])
    .filter((m) => m.memberId !== mine.memberId)
    .map((m) => {
      const held = AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment[host.topic] ?? []
      return {
        memberId: m.memberId,
        clientId: m.clientId,
        host: m.clientHost,
        partitions: [...held].sort((a, b) => a - b),
      }
    })
    .filter((m) => m.partitions.length > 0)
  return { partitions, members }
}
