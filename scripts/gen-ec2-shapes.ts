// Writes src/api/ec2-shapes.ts from scripts/ec2-model-subset.json: `npm run gen:ec2-shapes`.
// With `--extract` it first rewrites that extract from the EC2 model of python3's pip botocore
// (scripts/ec2-shapes-gen.ts says why two steps).
import { readFileSync, writeFileSync } from 'node:fs';
import {
  SHAPES_PATH, SUBSET_PATH, extractModel, findPipBotocore, formatSubset, generateShapes, readModel, type ModelSubset,
} from './ec2-shapes-gen.js';

{
  if (process.argv.includes('--extract')) {
    const pip = findPipBotocore();
    if (pip === undefined) {
      process.stderr.write("gen-ec2-shapes: python3 has no botocore with an EC2 model (pip install botocore)\n");
      process.exit(1);
    }
    writeFileSync(SUBSET_PATH, formatSubset(extractModel(readModel(pip.modelPath), pip.version)));
    process.stdout.write(`scripts/ec2-model-subset.json: from ${pip.modelPath} (botocore ${pip.version})\n`);
  }
  const subset = JSON.parse(readFileSync(SUBSET_PATH, 'utf8')) as ModelSubset;
  writeFileSync(SHAPES_PATH, generateShapes(subset));
  process.stdout.write(`src/api/ec2-shapes.ts: ${Object.keys(subset.operations).length} actions, ${Object.keys(subset.shapes).length} shapes\n`);
}
