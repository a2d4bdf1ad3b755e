// What an accepted change touched: the ChangeSet a mutating action fills in on its draft, and the
// ModelChange event the service's listeners receive (the dataplane recompiles from its ids).
export interface ModelChange {
  version: number;
  action: string;
  groupIds: string[];
  interfaceIds: string[];
  prefixListIds: string[];
}

/** What a mutating call touched; becomes the ModelChange. */
export class ChangeSet {
  readonly groupIds = new Set<string>();
  readonly interfaceIds = new Set<string>();
  readonly prefixListIds = new Set<string>();
}
