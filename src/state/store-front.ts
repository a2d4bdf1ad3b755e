// What the two stores of the control-plane state (durable-store.ts on disk, fleet/etcd-store.ts in
// etcd) do alike in front of their writes: a read-only call is answered from the live service at
// once, a change waits its turn behind the changes queued before it, and a closed store takes no
// call. Behind the front they differ (a journal append and fsync; a guarded etcd txn).
import { SerialQueue } from '../control/serial-queue.js';
import type { SecurityGroupService } from '../control/service.js';
import { Ec2Errors } from '../model/errors.js';
import { ShapeError } from './json-shape.js';
import { readStateDocument } from './state-document.js';

/** Not an EC2 action: loads a state document (as `--state` files hold) through the store. */
export const IMPORT_ACTION = 'ImportSnapshot';

/** Reads (DescribeSecurityGroups, GetManagedPrefixListEntries) change nothing and are not stored. */
export function isReadOnlyAction(action: string): boolean {
  return action.startsWith('Describe') || action.startsWith('Get');
}

/** Runs a stored call on `service`: an EC2 action, or IMPORT_ACTION with a state document. */
export function runStoreAction(service: SecurityGroupService, action: string, params: unknown): unknown {
  if (action !== IMPORT_ACTION) return service.call(action, params);
  let doc;
  try {
    doc = readStateDocument(params);
  } catch (e) {
    if (e instanceof ShapeError) throw Ec2Errors.invalidParameterValue(e.message);
    throw e;
  }
  return service.importSnapshot(doc);
}

/**
 * The params a change is run and stored with: normalised through JSON, so the live call and its
 * replay (from a journal or another server's watch) see the same input.
 */
export function storedParams(params: unknown): unknown {
  try {
    return params === undefined ? {} : JSON.parse(JSON.stringify(params));
  } catch (e) {
    throw Ec2Errors.invalidParameterValue(`the request parameters are not JSON: ${(e as Error).message}`);
  }
}

export class StoreFront {
  private readonly changes = new SerialQueue();
  private shut = false;

  constructor(
    /** names the store in the error a call to a closed one gets */
    private readonly name: string,
    private readonly service: SecurityGroupService,
    /** runs and stores one change; called one at a time, in arrival order */
    private readonly change: (action: string, params: unknown) => Promise<unknown>,
  ) {}

  get closed(): boolean {
    return this.shut;
  }

  /** A read answered now from the live service, or a change queued behind the others. */
  apply(action: string, params?: unknown): Promise<unknown> {
    if (this.shut) return Promise.reject(new Error(`the ${this.name} store is closed`));
    if (isReadOnlyAction(action)) {
      try {
        return Promise.resolve(this.service.call(action, params));
      } catch (e) {
        return Promise.reject(e);
      }
    }
    return this.changes.run(() => this.change(action, params));
  }

  /** Queues other work (a snapshot) between the changes. */
  run<T>(task: () => T | Promise<T>): Promise<T> {
    return this.changes.run(task);
  }

  /** Takes no more calls; settles once the queued ones have. */
  close(): Promise<unknown> {
    this.shut = true;
    return this.changes.idle();
  }
}
