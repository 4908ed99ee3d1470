/**
 * The dashboard at `/`: a static page (public/) plus uPlot, d3-geo, topojson-client and world-atlas served from
 * node_modules — no CDN. It reads only the
 * public report API, so it shows exactly what an API client sees.
 */
import path from 'node:path'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import type { FastifyPluginAsync } from 'fastify'
import { markRoutes } from '../../shared/http-auth.ts'

const here = path.dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)
const uplotDist = path.join(path.dirname(require.resolve('uplot')), '..', 'dist')
/** A package's folder in node_modules, from any file it resolves to. */
function packageDir(name: string, entry: string): string {
  const resolved = require.resolve(entry)
  const marker = `${path.sep}node_modules${path.sep}${name}${path.sep}`
  return resolved.slice(0, resolved.lastIndexOf(marker) + marker.length)
}

/** The map's libraries and data, each package's files served one route per file under /vendor/<package>/. */
const VENDOR: ReadonlyArray<{ name: string; entry: string; files: readonly string[] }> = [
  { name: 'd3-array', entry: '', files: ['/dist/d3-array.min.js'] },
  { name: 'd3-geo', entry: '', files: ['/dist/d3-geo.min.js'] },
  { name: 'topojson-client', entry: '', files: ['/dist/topojson-client.min.js'] },
  // 110m: 177 countries, 105 kB — enough for a panel, and the country ids are ISO 3166-1 numeric.
  { name: 'world-atlas', entry: 'countries-110m.json', files: ['/countries-110m.json'] },
  // Alpha-2 (the API's country values) to numeric (world-atlas ids).
  { name: 'i18n-iso-countries', entry: 'codes.json', files: ['/codes.json'] },
]

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
  for (const v of VENDOR) {
    await app.register(fastifyStatic, {
      root: packageDir(v.name, v.entry ? `${v.name}/${v.entry}` : v.name),
      prefix: `/vendor/${v.name}/`,
      decorateReply: false,
      wildcard: false,
      allowedPath: (p) => v.files.includes(p),
    })
  }
}
