// World map support: the ids of world-atlas features (ISO 3166 numeric) named by ISO 3166 alpha-3, from the
// vendored code table (npm i18n-iso-countries, /assets/iso-countries/codes.json); an Equal Earth projection for
// ECharts; one registration of the "world" map.

// Equal Earth (Šavrič, Patterson & Jenny 2018), in degrees-scaled units for ECharts' `projection`.
const A1 = 1.340264, A2 = -0.081106, A3 = 0.000893, A4 = 0.003796, M = Math.sqrt(3) / 2;
function eeProject([lon, lat]) {
  const l = lon * Math.PI / 180, p = lat * Math.PI / 180;
  const t = Math.asin(M * Math.sin(p)), t2 = t * t, t6 = t2 * t2 * t2;
  const x = l * Math.cos(t) / (M * (A1 + 3 * A2 * t2 + t6 * (7 * A3 + 9 * A4 * t2)));
  const y = t * (A1 + A2 * t2 + t6 * (A3 + A4 * t2));
  return [x * 180 / Math.PI, -y * 180 / Math.PI];
}
function eeUnproject([x, y]) {
  x = x * Math.PI / 180; y = -y * Math.PI / 180;
  let t = y;
  for (let i = 0; i < 12; i++) {
    const t2 = t * t, t6 = t2 * t2 * t2;
    const fy = t * (A1 + A2 * t2 + t6 * (A3 + A4 * t2)) - y;
    const fpy = A1 + 3 * A2 * t2 + t6 * (7 * A3 + 9 * A4 * t2);
    const d = fy / fpy; t -= d;
    if (Math.abs(d) < 1e-9) break;
  }
  const t2 = t * t, t6 = t2 * t2 * t2;
  const lon = M * x * (A1 + 3 * A2 * t2 + t6 * (7 * A3 + 9 * A4 * t2)) / Math.cos(t);
  const lat = Math.asin(Math.sin(t) / M);
  return [lon * 180 / Math.PI, lat * 180 / Math.PI];
}
export const PROJECTION = { project: eeProject, unproject: eeUnproject };

/** Rings that cross the antimeridian (Chukotka, Fiji, the Aleutians) are held on the side where most of their
 * points lie, so that a flat map draws no line across the world. */
function clampAntimeridian(g) {
  const polys = !g ? [] : g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? g.coordinates : [];
  for (const poly of polys) {
    for (const ring of poly) {
      if (!ring.some((p) => p[0] > 150) || !ring.some((p) => p[0] < -150)) continue;
      const east = ring.filter((p) => p[0] > 0).length >= ring.length / 2;
      for (const p of ring) {
        if (east && p[0] < 0) p[0] = 180;
        if (!east && p[0] > 0) p[0] = -180;
      }
    }
  }
}

let registered = null;
/** Fetch the world atlas and the ISO code table once and register the atlas with ECharts as "world" (features
 * named by ISO3). */
export function ensureWorldMap() {
  if (!registered) {
    const json = (url) => fetch(url).then((r) => {
      if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
      return r.json();
    });
    registered = Promise.all([json('/assets/world-atlas/countries-50m.json'), json('/assets/iso-countries/codes.json')])
      .then(([topo, codes]) => {
        const numToIso3 = {};
        for (const [, alpha3, numeric] of codes) numToIso3[numeric] = alpha3;
        const fc = topojson.feature(topo, topo.objects.countries);
        fc.features = fc.features.filter((f) => f.id !== '010'); // Antarctica takes space, holds no data
        for (const f of fc.features) {
          const iso3 = numToIso3[f.id] || `x${f.id || f.properties.name}`;
          f.properties = { name: iso3, label: f.properties.name };
          clampAntimeridian(f.geometry);
        }
        echarts.registerMap('world', fc);
        return fc;
      });
  }
  return registered;
}
