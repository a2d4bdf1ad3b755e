// The shapes sgfw serves are botocore's EC2 model, not a copy by hand: src/api/ec2-shapes.ts is what
// scripts/gen-ec2-shapes.ts writes from the checked-in extract, the extract is the part of the pip
// botocore's model the served actions reach, and the served tables (api/served-shapes.ts) hold the
// model's members with the model's wire names, sgfw's own additions named below.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  SERVED_EC2_ACTIONS, SHAPES_PATH, SUBSET_PATH, extractModel, findPipBotocore, formatSubset, generateShapes, readModel, type ModelSubset,
} from '../../../scripts/ec2-shapes-gen.js';
import { REQUEST_SHAPES, RESPONSE_SHAPES } from '../../../src/api/served-shapes.js';
import { queryName, xmlName, type Shape } from '../../../src/api/shape-kinds.js';
import { decodeQueryParams } from '../../../src/api/query-params.js';
import { SERVICE_ACTIONS } from '../../../src/control/service.js';
import { Ec2Error } from '../../../src/model/ec2-error.js';

const subset = JSON.parse(readFileSync(SUBSET_PATH, 'utf8')) as ModelSubset;
const pip = findPipBotocore();

/** sgfw's own members on EC2 actions (served-shapes.ts), which the model does not have. */
const SGFW_MEMBERS: Readonly<Record<string, readonly string[]>> = { ModifyNetworkInterfaceAttribute: ['HostId'] };
/** sgfw's own actions, which the model does not have. */
const SGFW_ACTIONS = ['RegisterNetworkInterface', 'DeregisterNetworkInterface'];

const SCALAR: Readonly<Record<string, string>> = {
  string: 'string', blob: 'string', integer: 'integer', long: 'integer', boolean: 'boolean', double: 'double', float: 'double', timestamp: 'timestamp',
};

/** Where `served` differs from the model's shape `name`: member names, wire names, kinds, required. */
function differences(served: Shape, name: string, path: string, skip: readonly string[] = []): string[] {
  const model = subset.shapes[name];
  if (model === undefined) return [`${path}: the model has no shape ${name}`];
  if (typeof served === 'string') return SCALAR[model.type] === served ? [] : [`${path}: ${served}, the model says ${model.type}`];
  if (served.kind === 'list') {
    if (model.type !== 'list') return [`${path}: a list, the model says ${model.type}`];
    return differences(served.member, model.member!.shape, `${path}.N`);
  }
  if (model.type !== 'structure') return [`${path}: a structure, the model says ${model.type}`];
  const out: string[] = [];
  const modelMembers = model.members ?? {};
  const servedNames = Object.keys(served.members).filter((m) => !skip.includes(m));
  if ([...servedNames].sort().join() !== Object.keys(modelMembers).sort().join()) {
    out.push(`${path}: members ${servedNames.join(',')}, the model has ${Object.keys(modelMembers).join(',')}`);
  }
  if ([...served.required].sort().join() !== [...(model.required ?? [])].sort().join()) out.push(`${path}: required members differ`);
  for (const m of servedNames) {
    const mm = modelMembers[m];
    const member = served.members[m]!;
    if (mm === undefined) continue;
    if (member.loc !== mm.locationName || member.query !== mm.queryName) out.push(`${path}.${m}: wire names differ from the model's`);
    out.push(...differences(member.shape, mm.shape, `${path}.${m}`));
  }
  return out;
}

describe('src/api/ec2-shapes.ts is generated from botocore\'s EC2 model', () => {
  it('is byte for byte what the generator writes from scripts/ec2-model-subset.json (`npm run gen:ec2-shapes`)', () => {
    expect(generateShapes(subset) === readFileSync(SHAPES_PATH, 'utf8')).toBe(true);
  });

  it('the extract covers exactly the EC2 actions sgfw serves, and the service serves no EC2 action outside it', () => {
    expect(Object.keys(subset.operations)).toEqual([...SERVED_EC2_ACTIONS]);
    for (const action of SERVICE_ACTIONS) {
      if (!SGFW_ACTIONS.includes(action)) expect(SERVED_EC2_ACTIONS, action).toContain(action);
    }
  });

  it.skipIf(pip === undefined && !process.env.CI)('the extract is the part of python3\'s pip botocore model the served actions reach', () => {
    if (pip === undefined) throw new Error('python3 has no pip botocore with an EC2 model (CI installs it)');
    const fresh = extractModel(readModel(pip.modelPath), pip.version);
    const why = `scripts/ec2-model-subset.json was extracted from botocore ${subset.botocoreVersion}, python3 has ${pip.version}: ` +
      'run `npm run gen:ec2-shapes -- --extract`';
    expect(formatSubset({ ...fresh, botocoreVersion: subset.botocoreVersion }) === readFileSync(SUBSET_PATH, 'utf8'), why).toBe(true);
  }, 30_000);
});

describe('the served tables hold the model\'s shapes member for member', () => {
  it('every EC2 action\'s request has the model\'s members, wire names, kinds and required members', () => {
    for (const action of SERVED_EC2_ACTIONS) {
      const input = subset.operations[action]!.input!.shape;
      expect(differences(REQUEST_SHAPES[action]!, input, action, SGFW_MEMBERS[action]), action).toEqual([]);
    }
  });

  it('every EC2 action\'s answer prints each member under the model\'s element name; those without an output say <return>', () => {
    for (const action of SERVED_EC2_ACTIONS) {
      const output = subset.operations[action]!.output?.shape;
      const served = RESPONSE_SHAPES[action]!;
      if (output === undefined) {
        expect(Object.keys(served.members), action).toEqual(['Return']);
        expect(xmlName('Return', served.members.Return!)).toBe('return');
      } else expect(differences(served, output, action), action).toEqual([]);
    }
  });

  it('sgfw\'s own actions and members are the only ones outside the model', () => {
    const extra = Object.keys(REQUEST_SHAPES).filter((a) => !SERVED_EC2_ACTIONS.includes(a));
    expect(extra.sort()).toEqual([...SGFW_ACTIONS].sort());
    expect(Object.keys(RESPONSE_SHAPES).sort()).toEqual(Object.keys(REQUEST_SHAPES).sort());
  });
});

describe('a request without a member the model requires is refused as EC2 refuses it', () => {
  it('MissingParameter names the first absent required member by its wire name, for every action', () => {
    for (const action of Object.keys(REQUEST_SHAPES)) {
      const shape = REQUEST_SHAPES[action]!;
      if (shape.required.length === 0) continue;
      let error: unknown;
      try {
        decodeQueryParams(action, {});
      } catch (e) {
        error = e;
      }
      expect(error, action).toBeInstanceOf(Ec2Error);
      const first = shape.required[0]!;
      expect((error as Ec2Error).code, action).toBe('MissingParameter');
      expect((error as Ec2Error).message, action).toBe(`The request must contain the parameter ${queryName(first, shape.members[first]!)}`);
    }
  });
});
