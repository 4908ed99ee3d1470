/**
 * Interest-list signals: the message the speed layer writes to `<topic>.signals` and the serving layer reads back.
 * A signal says that a listener crossed an interest rule's threshold in one event-time window
 * (docs/ARCHITECTURE.md#signals). Its id is a function of (rule, listener, key, window start) only, so the same
 * crossing always carries the same id however often it is detected (a restart, a rebuild, a second delivery).
 */
import crypto from 'node:crypto'
import { Type, type Static } from '@sinclair/typebox'

export const SignalSchema = Type.Object(
  {
    id: Type.String({
      description:
        'sha256 of rule, listener, key and window start (hex, 32 chars); the same crossing always has the same id',
    }),
    rule: Type.String(),
    listener: Type.String(),
    songId: Type.String({ description: 'the song of the event that crossed the threshold' }),
    artistId: Type.String(),
    /** What the rule counts per listener: a song or an artist id. */
    key: Type.String(),
    count: Type.Integer({ description: 'events counted in the window when it fired: the threshold' }),
    firstTs: Type.Integer({ description: 'event time of the first event counted (epoch ms)' }),
    lastTs: Type.Integer({ description: 'event time of the last event counted (epoch ms)' }),
    windowStart: Type.Integer({ description: 'the event-time window (epoch ms, aligned to the window width)' }),
    windowEnd: Type.Integer(),
    partition: Type.Integer({ description: 'events partition and offset of the event that crossed the threshold' }),
    offset: Type.Integer(),
  },
  { additionalProperties: false },
)

export type Signal = Static<typeof SignalSchema>

/** The id of one crossing: the first 32 hex digits of sha256("rule\nlistener\nkey\nwindowStart"). */
export function signalId(rule: string, listener: string, key: string, windowStart: number): string {
  return crypto.createHash('sha256').update(`${rule}\n${listener}\n${key}\n${windowStart}`).digest('hex').slice(0, 32)
}
