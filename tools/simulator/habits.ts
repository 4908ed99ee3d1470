/**
 * Listening habits: each simulated listener has one, drawn with its profile, so the nightly listener segments
 * (batch-layer/segments/) have groups to find. A habit scales how often the listener starts a session, sets how
 * readily they skip, and picks the daily rhythm of their sessions (local time).
 */
import { createRandom, subSeed, WeightedTable } from '../../shared/random.ts'

export const HABITS = ['casual', 'heavy-night', 'skipper', 'completionist'] as const
export type Habit = (typeof HABITS)[number]

/** Relative session starts per local hour for night listeners: most between 22:00 and 04:00. */
export const NIGHT_RHYTHM = [
  1.9, 1.8, 1.6, 1.2, 0.6, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.2, 0.3, 0.5, 0.8, 1.2, 1.6,
  1.8,
] as const

export interface HabitModel {
  /** Share of listeners with this habit. */
  share: number
  /** Multiplies the listener's sessions per day. */
  sessions: number
  /** The listener's base chance of skipping a song outside their taste (before the taste factors). */
  skipBase: number
  night: boolean
}

export const HABIT_MODEL: Readonly<Record<Habit, HabitModel>> = {
  casual: { share: 40, sessions: 0.4, skipBase: 0.35, night: false },
  'heavy-night': { share: 20, sessions: 3, skipBase: 0.25, night: true },
  skipper: { share: 20, sessions: 1, skipBase: 0.85, night: false },
  completionist: { share: 20, sessions: 1.5, skipBase: 0.02, night: false },
}

export const habitTable = new WeightedTable(
  HABITS,
  HABITS.map((h) => HABIT_MODEL[h].share),
)

/**
 * The habit of listener `index` of a simulation seeded `seed`: drawn from its own stream, so tests can tell each
 * simulated listener's habit without re-running the simulation, and the listeners' other draws do not depend on it.
 */
export function habitFor(seed: number, index: number): Habit {
  return habitTable.draw(createRandom(subSeed(seed, `habit:${index}`)))
}
