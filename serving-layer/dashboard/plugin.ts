/**
 * The dashboard at `/`: a static page (public/) plus uPlot served from node_modules — no CDN. It reads only the
 * public report API, so it shows exactly what an API client sees.
 */
import path from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import type { FastifyPluginAsync } from 'fastify'
import { markRoutes } from '../../shared/http-auth.ts'

const here = path.dirname(fileURLToPath(import.meta.url))
const uplotDist = path.join(path.dirname(createRequire(import.meta.url).resolve('uplot')), '..', 'dist')

export const dashboardPlugin: FastifyPluginAsync = async (app) => {
  // The page and its scripts hold no data and must load before the user can give a token (app.js asks for it).
  markRoutes(app, 'public')
  // One route per file (wildcard: false), not a catch-all GET /*: an unknown path stays the app's 404 (behind the
  // token), and a POST-only path like /v1/events answers 405 with the right Allow.
  await app.register(fastifyStatic, {
    root: path.join(here, 'public'),
    prefix: '/',
    index: ['index.html'],
    decorateReply: false,
    wildcard: false,
  })
  await app.register(fastifyStatic, {
    root: uplotDist,
    prefix: '/vendor/uplot/',
    decorateReply: false,
    wildcard: false,
    allowedPath: (p) => p === '/uPlot.iife.min.js' || p === '/uPlot.min.css',
  })
}
