// The host an interface is registered to (issue 9): the fleet agent started with `--host-id NAME`
// enforces the interfaces whose HostId is NAME. Set by RegisterNetworkInterface and
// ModifyNetworkInterfaceAttribute (`HostId`), and by the interface's tag `sgfw:host-id` (issue 17:
// CreateTags / DeleteTags on an `eni-`, TagSpecifications at CreateNetworkInterface), so any tool
// that can tag can place an interface. The two are one value: the record's hostId, which
// DescribeNetworkInterfaces and DescribeTags show as the tag; kept in the record, hence in the etcd
// store's interface key and its `host/<host-id>/<eni-id>` index key.
import type { Tag } from '../model/types.js';
import { Ec2Errors } from '../model/errors.js';
import type { InterfaceRecord } from './records.js';

/** The tag that places an interface on a host. */
export const HOST_ID_TAG = 'sgfw:host-id';

export interface HostedInterfaceRecord extends InterfaceRecord {
  readonly hostId?: string;
}

/** What a host id may be: it becomes an etcd key segment, so no '/'. */
export const HOST_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export function hostIdOf(record: InterfaceRecord): string | undefined {
  return (record as HostedInterfaceRecord).hostId;
}

export function checkHostId(value: unknown, what = 'HostId'): string {
  if (typeof value !== 'string' || !HOST_ID_PATTERN.test(value)) {
    throw Ec2Errors.invalidParameterValue(
      `Invalid ${what} '${String(value)}': 1 to 128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit.`,
    );
  }
  return value;
}

/** An interface's tags as EC2 shows them: its own, then `sgfw:host-id` when it has a host. */
export function interfaceTags(record: InterfaceRecord): Tag[] {
  const hostId = hostIdOf(record);
  return [...(record.tags ?? []), ...(hostId !== undefined ? [{ Key: HOST_ID_TAG, Value: hostId }] : [])];
}

/** `record` with `tags` as its whole tag set: `sgfw:host-id` among them sets its host, its absence clears it. */
export function withInterfaceTags(record: InterfaceRecord, tags: readonly Tag[]): HostedInterfaceRecord {
  const { hostId: _old, tags: _tags, ...rest } = record as HostedInterfaceRecord;
  const hostTag = tags.find((t) => t.Key === HOST_ID_TAG);
  const own = tags.filter((t) => t.Key !== HOST_ID_TAG);
  return {
    ...rest,
    ...(own.length > 0 ? { tags: own } : {}),
    ...(hostTag !== undefined ? { hostId: checkHostId(hostTag.Value, `value for tag ${HOST_ID_TAG}`) } : {}),
  };
}

/**
 * EC2's Status of an interface: `in-use` when some host enforces it (placed on a host, or
 * registered: RegisterNetworkInterface's interfaces are enforced by whichever sgfw loads them),
 * `available` for one created in a subnet and not yet placed, as EC2 calls one attached to nothing.
 */
export function interfaceStatus(record: InterfaceRecord): 'in-use' | 'available' {
  return hostIdOf(record) !== undefined || record.subnetId === undefined ? 'in-use' : 'available';
}
