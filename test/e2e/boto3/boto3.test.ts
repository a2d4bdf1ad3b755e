// Issue 8, "boto3 scripts for every action": Debian's python3-boto3 runs ec2_surface.py against a
// running `sgfw serve`; the script asserts on what boto3 parsed and prints one JSON line per check.
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCredentials, startServe, type ServeProcess } from '../../support/serve-process.js';
import { awsChildEnv, DEBIAN_PYTHON, hasBoto3 } from './python-tools.js';

// CI installs python3-boto3 (scripts/setup.sh): there a missing boto3 must fail, not skip.
const skip = !hasBoto3 && !process.env.CI;

const SCRIPT = join(process.cwd(), 'test', 'e2e', 'boto3', 'ec2_surface.py');

/** Every check the script runs, in its order: a check that silently disappears fails the test. */
const CHECKS = [
  'sts_caller_identity_is_the_group_owner',
  'create_vpc_with_tags_creates_its_default_group',
  'create_security_group_with_tag_specifications',
  'authorize_with_descriptions_and_describe_as_ec2_shapes_it',
  'revoke_matches_the_permission_ignoring_the_description',
  'describe_security_group_rules_and_modify_by_rule_id',
  'create_describe_delete_tags_with_filters',
  'describe_security_groups_filters',
  'describe_prefix_lists_has_the_regions_aws_managed_lists',
  'dry_run_answers_dry_run_operation_or_the_real_error',
  'malformed_id_versus_unknown_id',
  'an_unimplemented_action_is_invalid_action_400',
  'any_region_and_short_vpc_ids_are_accepted',
  'delete_vpc_in_use_is_refused_then_succeeds',
  'paginators_walk_every_describe_action',
  'malformed_ids_in_filters_are_refused_with_their_kinds_code',
  'create_vpc_takes_a_cidr_in_its_canonical_form',
  'aws_managed_prefix_lists_are_owned_by_aws',
  'modify_security_group_rules_answers_ec2s_codes_for_an_incomplete_rule',
  'quotas_answer_ec2s_codes_and_words',
  'parameters_sgfw_does_not_carry_out_are_refused',
  'subnets_answer_ec2s_fields_errors_and_filters',
  'create_network_interface_draws_addresses_from_its_subnet',
  'the_sgfw_host_id_tag_places_an_interface',
  'ipv6_vpcs_give_their_groups_ipv6_egress_and_subnets_ipv6_addresses',
  'client_token_retries_answer_the_first_create',
  'revoking_a_rule_that_is_not_there',
];

interface CheckLine {
  check: string;
  ok: boolean;
  error?: string;
  trace?: string;
}

let server: ServeProcess;
let run: { code: number | null; lines: CheckLine[]; stdout: string; stderr: string };

beforeAll(async () => {
  if (skip) return;
  const dir = mkdtempSync(join(tmpdir(), 'sgfw-boto3-'));
  const credentials = createCredentials(dir);
  server = await startServe(dir);
  const env = awsChildEnv(credentials, { SGFW_ENDPOINT: server.url });
  run = await new Promise((resolve) => {
    execFile(DEBIAN_PYTHON, [SCRIPT], { env, encoding: 'utf8', timeout: 90_000 }, (e, stdout, stderr) => {
      const code = e === null ? 0 : typeof e.code === 'number' ? e.code : null;
      const lines = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as CheckLine);
      resolve({ code, lines, stdout, stderr });
    });
  });
}, 120_000);
afterAll(async () => {
  if (server) await server.stop();
}, 30_000);

describe.skipIf(skip)('a boto3 script managing VPCs, groups, rules and tags against sgfw serve', () => {
  it('runs every check of the script', () => {
    expect(run.stderr, 'python printed on stderr').toBe('');
    expect(run.lines.map((l) => l.check)).toEqual(CHECKS);
  });

  it.each(CHECKS)('%s', (name) => {
    const line = run.lines.find((l) => l.check === name);
    expect(line, `no result line for ${name}; stdout: ${run.stdout}`).toBeDefined();
    expect(line!.error ?? '', line!.trace).toBe('');
    expect(line!.ok).toBe(true);
  });

  it('exits 0 only when every check passed', () => {
    expect(run.code).toBe(run.lines.every((l) => l.ok) ? 0 : 1);
    expect(run.code).toBe(0);
  });
});
