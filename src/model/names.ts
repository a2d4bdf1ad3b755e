// Names and descriptions. Seed 001: "Security group names and descriptions can be up to 255
// characters in length, and are limited to the following characters: a-z, A-Z, 0-9, spaces, and
// ._-:/()#,@[]+=&;{}!$*"; "A security group name cannot start with sg-"; a rule description uses
// the same set without `&`.
import { Ec2Errors } from './errors.js';
import { shown } from './shown.js';

const GROUP_TEXT = /^[a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]*$/;
const RULE_TEXT = /^[a-zA-Z0-9 ._\-:/()#,@[\]+=;{}!$*]*$/;
const GROUP_SET = 'a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*';
const RULE_SET = 'a-zA-Z0-9. _-:/()#,@[]+=;{}!$*';

export function checkGroupName(name: unknown): string {
  if (name === undefined || name === '') throw Ec2Errors.missingParameter('GroupName');
  if (typeof name !== 'string' || name.length > 255 || !GROUP_TEXT.test(name)) {
    throw Ec2Errors.invalidParameterValue(
      `Value (${shown(name)}) for parameter GroupName is invalid. Valid names are strings of up to 255 characters from the set ${GROUP_SET}`,
    );
  }
  if (name.toLowerCase().startsWith('sg-')) {
    throw Ec2Errors.invalidParameterValue(
      `Value (${name}) for parameter GroupName is invalid. Group names may not be in the format sg-*.`,
    );
  }
  return name;
}

export function checkGroupDescription(description: unknown): string {
  if (description === undefined || description === '') throw Ec2Errors.missingParameter('GroupDescription');
  if (typeof description !== 'string' || description.length > 255 || !GROUP_TEXT.test(description)) {
    throw Ec2Errors.invalidParameterValue(
      `Invalid group description. Valid descriptions are strings of up to 255 characters from the set ${GROUP_SET}`,
    );
  }
  return description;
}

/** A rule's or prefix-list entry's optional description; an empty one is the same as none. */
export function checkRuleDescription(description: unknown): string | undefined {
  if (description === undefined || description === '') return undefined;
  if (typeof description !== 'string' || description.length > 255 || !RULE_TEXT.test(description)) {
    throw Ec2Errors.invalidParameterValue(
      `Invalid rule description. Valid descriptions are strings of up to 255 characters from the set ${RULE_SET}`,
    );
  }
  return description;
}
