// `sgfw describe`: the groups of the given state, as `ec2-describe-group` printed them (seed 000) or
// as DescribeSecurityGroups JSON.

import type { SecurityGroup } from '../model/types.js';
import type { Command } from './command.js';
import { formatGroupsText } from './describe-text.js';
import { ExitCode } from './exit-codes.js';
import { STATE_FLAG, serviceFromStateFiles } from './state-flag.js';

export const describeCommand: Command = {
  name: 'describe',
  summary: 'Print the security groups of state files (ec2-describe-group text, or JSON)',
  description: [
    'Text output is tab-separated, one GROUP line per group and one PERMISSION line per rule and peer:',
    '  GROUP       <group-id> <owner> <name> <description>',
    '  PERMISSION  <owner> <name> ALLOWS <proto> <from> <to> FROM|TO <peer> ingress|egress',
    'where <peer> is CIDR <cidr>, PL <prefix-list-id> or USER <owner> NAME <name> ID <group-id>,',
    'and protocol -1 prints as all with empty ports.',
  ].join('\n'),
  flags: [
    STATE_FLAG,
    { name: 'json', kind: 'boolean', description: 'print DescribeSecurityGroups JSON ({"SecurityGroups": […]}) as the AWS CLI does' },
    { name: 'group-id', kind: 'string', value: 'ID', repeatable: true, description: 'only this group (EC2 GroupIds)' },
  ],
  async run(args, { io }) {
    const service = await serviceFromStateFiles(args.strings('state'));
    const groupIds = args.strings('group-id');
    const all = (await service.describeSecurityGroups({})).SecurityGroups as SecurityGroup[];
    const groups =
      groupIds.length === 0
        ? all
        : ((await service.describeSecurityGroups({ GroupIds: groupIds })).SecurityGroups as SecurityGroup[]);
    if (args.boolean('json')) {
      // The AWS CLI's JSON output is `json.dump(..., indent=4)`.
      io.stdout.write(`${JSON.stringify({ SecurityGroups: groups }, null, 4)}\n`);
    } else {
      io.stdout.write(formatGroupsText(groups, new Map(all.map((g) => [g.GroupId, g.GroupName]))));
    }
    return ExitCode.ok;
  },
};
