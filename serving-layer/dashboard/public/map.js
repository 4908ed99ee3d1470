// The country panel's world map: world-atlas countries (TopoJSON, ISO 3166-1 numeric ids) drawn with d3-geo, each
// coloured by its share of the plays. The API's countries are alpha-2: i18n-iso-countries' codes.json maps them.
/* global d3, topojson */
const SVG_NS = 'http://www.w3.org/2000/svg'
let atlas = null

/** The countries as GeoJSON features and the alpha-2 → numeric table, fetched once. */
function loadAtlas() {
  atlas ??= Promise.all([
    fetch('/vendor/world-atlas/countries-110m.json').then((r) => r.json()),
    fetch('/vendor/i18n-iso-countries/codes.json').then((r) => r.json()),
  ]).then(([world, codes]) => ({
    features: topojson.feature(world, world.objects.countries).features,
    numericOf: new Map(codes.map(([alpha2, , numeric]) => [alpha2, numeric])),
  }))
  return atlas
}

/** Draws the map into the <svg id>, with `values` (breakdown values by country) as the colours. */
export async function drawMap(svgId, values) {
  const { features, numericOf } = await loadAtlas()
  const plays = new Map()
  for (const v of values) if (numericOf.has(v.value)) plays.set(numericOf.get(v.value), v)
  const max = Math.max(1, ...values.map((v) => v.plays))
  const svg = document.getElementById(svgId)
  const width = 720
  const height = 360
  svg.setAttribute('viewBox', `0 0 ${width} ${height}`)
  const projection = d3.geoEqualEarth().fitSize([width, height], { type: 'FeatureCollection', features })
  const path = d3.geoPath(projection)
  svg.replaceChildren(
    ...features.map((f) => {
      const p = document.createElementNS(SVG_NS, 'path')
      p.setAttribute('d', path(f) ?? '')
      p.setAttribute('class', 'country')
      p.dataset.id = f.id ?? ''
      const v = plays.get(f.id)
      // A square root scale: one big country would leave every other one pale on a linear scale.
      p.setAttribute('fill', v ? `rgba(79,140,255,${(0.15 + 0.85 * Math.sqrt(v.plays / max)).toFixed(3)})` : '#2a3040')
      const title = document.createElementNS(SVG_NS, 'title')
      title.textContent = `${f.properties?.name ?? f.id}: ${v ? v.plays : 0} plays`
      p.append(title)
      return p
    }),
  )
}
