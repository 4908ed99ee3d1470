/** OpenAPI schemas of `POST /v1/events`: the body references the one event schema (ListenEvent). */
import { MAX_ITEMS } from './body.ts'
import { MAX_DEPTH, RESERVED_KEYS } from './body-screen.ts'

const Rejected = {
  type: 'array',
  items: {
    type: 'object',
    properties: {
      index: { type: 'integer', description: 'position of the item in the request (NDJSON: among non-blank lines)' },
      field: { type: 'string' },
      rule: { type: 'string' },
      reason: {
        type: 'string',
        enum: ['bad_json', 'missing_field', 'invalid_field', 'unknown_song', 'future_ts', 'too_large', 'too_deep'],
      },
    },
    required: ['index', 'field', 'rule', 'reason'],
  },
} as const

export const postEventsSchema = {
  summary: 'Ingest listening events',
  description:
    `One event or a JSON array of up to ${MAX_ITEMS} events (content-type application/json), or NDJSON ` +
    '(application/x-ndjson). Valid events are acknowledged by Kafka before the 202; invalid ones are listed with index, ' +
    `field and rule, among them an event nested deeper than ${MAX_DEPTH} levels or holding a ${RESERVED_KEYS.join(' or ')} key.`,
  tags: ['ingest'],
  body: {
    content: {
      'application/json': {
        schema: {
          oneOf: [{ $ref: 'ListenEvent#' }, { type: 'array', maxItems: MAX_ITEMS, items: { $ref: 'ListenEvent#' } }],
        },
      },
      'application/x-ndjson': {
        schema: { type: 'string', description: `one event (JSON) per line, at most ${MAX_ITEMS} lines` },
      },
    },
  },
  response: {
    202: {
      description: 'the valid events are in Kafka',
      type: 'object',
      properties: { accepted: { type: 'integer' }, rejected: Rejected },
      required: ['accepted', 'rejected'],
    },
    400: {
      description: 'every event was refused (or the body holds none)',
      type: 'object',
      properties: {
        error: { type: 'string' },
        message: { type: 'string' },
        accepted: { type: 'integer' },
        rejected: Rejected,
      },
      required: ['error', 'message'],
    },
    413: { description: 'over a size limit', $ref: 'ErrorBody#' },
    415: { description: 'a content-type other than application/json or application/x-ndjson', $ref: 'ErrorBody#' },
    503: { description: 'Kafka did not take the events in time; nothing was accepted, resend', $ref: 'ErrorBody#' },
  },
} as const
