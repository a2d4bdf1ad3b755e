// Replay must give every call the ids it got the first time (the service draws them at random, and
// rules, groups and interfaces are named by them). The store's service takes its ids from here: live
// calls get fresh ids that are recorded into their journal entry, replayed calls get those back.
/** Hands out live ids while recording them, or replays recorded ones. */
export class IdSource {
  private replaying: readonly string[] | undefined;
  private pos = 0;
  private drawn: string[] = [];

  constructor(private readonly live: () => string) {}

  readonly next = (): string => {
    if (this.replaying === undefined) {
      const id = this.live();
      this.drawn.push(id);
      return id;
    }
    const id = this.replaying[this.pos++];
    // More ids than recorded: the call did something else than when it was journaled.
    if (id === undefined) throw new IdsExhausted();
    return id;
  };

  beginLive(): void {
    this.replaying = undefined;
    this.drawn = [];
  }

  endLive(): string[] {
    return this.drawn;
  }

  beginReplay(ids: readonly string[]): void {
    this.replaying = ids;
    this.pos = 0;
  }

  /** true when the replayed call used exactly the recorded ids */
  endReplay(): boolean {
    const ok = this.replaying !== undefined && this.pos === this.replaying.length;
    this.replaying = undefined;
    return ok;
  }
}

export class IdsExhausted extends Error {
  constructor() {
    super('the call drew more ids than were recorded');
  }
}
