// HS sections (World Customs Organization nomenclature) by two-digit chapter: a classification used to
// group the products of a report in the treemap; no figure is computed from it.
const SECTIONS = [
  ['I', 1, 5, 'Live animals; animal products'],
  ['II', 6, 14, 'Vegetable products'],
  ['III', 15, 15, 'Animal or vegetable fats and oils'],
  ['IV', 16, 24, 'Prepared foodstuffs, beverages, tobacco'],
  ['V', 25, 27, 'Mineral products'],
  ['VI', 28, 38, 'Products of the chemical industries'],
  ['VII', 39, 40, 'Plastics and rubber'],
  ['VIII', 41, 43, 'Hides, skins, leather'],
  ['IX', 44, 46, 'Wood and articles of wood'],
  ['X', 47, 49, 'Pulp, paper and paperboard'],
  ['XI', 50, 63, 'Textiles'],
  ['XII', 64, 67, 'Footwear, headgear'],
  ['XIII', 68, 70, 'Stone, ceramics, glass'],
  ['XIV', 71, 71, 'Pearls, precious stones and metals'],
  ['XV', 72, 83, 'Base metals'],
  ['XVI', 84, 85, 'Machinery and electrical equipment'],
  ['XVII', 86, 89, 'Vehicles, aircraft, vessels'],
  ['XVIII', 90, 92, 'Optical and medical instruments, clocks'],
  ['XIX', 93, 93, 'Arms and ammunition'],
  ['XX', 94, 96, 'Miscellaneous manufactured articles'],
  ['XXI', 97, 97, 'Works of art, antiques'],
];

/** The HS section of a product code (its first two digits), or null for codes outside the sections. */
export function hsSection(code) {
  const ch = parseInt(String(code).slice(0, 2), 10);
  for (const [id, lo, hi, name] of SECTIONS) if (ch >= lo && ch <= hi) return { id, name };
  return null;
}
