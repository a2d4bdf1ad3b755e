// The host an interface is registered to (issue 9): the fleet agent started with `--host-id NAME`
// enforces the interfaces whose HostId is NAME. sgfw's own field, set by RegisterNetworkInterface
// and ModifyNetworkInterfaceAttribute (`HostId`); kept in the record, hence in the etcd store's
// interface key and its `host/<host-id>/<eni-id>` index key.
import { Ec2Errors } from '../model/errors.js';
import type { InterfaceRecord } from './records.js';

export interface HostedInterfaceRecord extends InterfaceRecord {
  readonly hostId?: string;
}

/** What a host id may be: it becomes an etcd key segment, so no '/'. */
export const HOST_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export function hostIdOf(record: InterfaceRecord): string | undefined {
  return (record as HostedInterfaceRecord).hostId;
}

export function checkHostId(value: unknown): string {
  if (typeof value !== 'string' || !HOST_ID_PATTERN.test(value)) {
    throw Ec2Errors.invalidParameterValue(
      `Invalid HostId '${String(value)}': 1 to 128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit.`,
    );
  }
  return value;
}
