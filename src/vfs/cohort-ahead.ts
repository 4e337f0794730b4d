// A cohort is read one file per sample: `samtools view` of one locus in each of a hundred BAMs, opened
// one after another (or a few at a time) in the order a glob or `ls` gives. Each first open waits one
// round trip to Score (may this token read it, and the object's URL) before its first byte is asked for.
// When two files of one kind (their extension) are opened close to each other in that order, the next
// AHEAD files of the kind are described to Score ahead of their open: their admission and URLs (and
// their paired indexes'), never a byte of theirs, so their queries start with the bytes. Like a
// kernel's readahead, only a pattern starts it, and it stops AHEAD files past the last open.

/** A file that can be described to Score ahead of its open. */
export interface CohortMember {
  /** Asks Score about the file ahead of its open; settles once it did (errors are the open's to report). */
  describeAhead(): Promise<void>;
}

/** Where members sit: their kind (files of one kind form one cohort) and their place in the listing order. */
export interface CohortPlaces<M> {
  kindOf(member: M): string;
  /** Members sort by it as the listing does (their path as the layout shows it). */
  orderKeyOf(member: M): string;
}

/** How many files past the last open are described ahead. */
export const AHEAD = 16;
/** Two opens this close to each other in a kind's order, within RECENT_MS, make a cohort. */
const NEAR = 16;
const RECENT_MS = 60_000;
/** Files described at once: each costs Score a request or three, on the API's own connections. */
const IN_FLIGHT = 8;

export class CohortAhead<M extends CohortMember> {
  /** Each member's cohort and place in it; built at the first open: a mount that opens no file never sorts its catalog. */
  private placed: Map<M, { cohort: Cohort; pos: number }> | undefined;

  constructor(
    private readonly members: readonly M[],
    private readonly places: CohortPlaces<M>,
  ) {}

  opened(member: M): void {
    this.placed ??= this.group();
    const place = this.placed.get(member);
    place?.cohort.opened(place.pos);
  }

  private group(): Map<M, { cohort: Cohort; pos: number }> {
    const byKind = new Map<string, Array<{ member: M; key: string }>>();
    for (const member of this.members) {
      const kind = this.places.kindOf(member);
      const entry = { member, key: this.places.orderKeyOf(member) };
      const list = byKind.get(kind);
      if (list) list.push(entry);
      else byKind.set(kind, [entry]);
    }
    const places = new Map<M, { cohort: Cohort; pos: number }>();
    for (const list of byKind.values()) {
      if (list.length < 3) continue; // two files are both opened before anything could be ahead
      list.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      const cohort = new Cohort(list.map((e) => e.member));
      list.forEach(({ member }, pos) => places.set(member, { cohort, pos }));
    }
    return places;
  }
}

class Cohort {
  /** The last few opens: position and when. */
  private readonly recent: Array<{ at: number; pos: number }> = [];
  /** Described (or being described) up to here, exclusive. */
  private next = 0;
  /** Describe ahead up to here, exclusive. */
  private until = 0;
  private inFlight = 0;

  constructor(private readonly order: readonly CohortMember[]) {}

  /** The member at `pos` in the order was opened. */
  opened(pos: number): void {
    const now = Date.now();
    const neighbour = this.recent.some((r) => r.pos !== pos && Math.abs(r.pos - pos) <= NEAR && now - r.at <= RECENT_MS);
    this.recent.push({ at: now, pos });
    if (this.recent.length > 4) this.recent.shift();
    this.next = Math.max(this.next, pos + 1); // an opened file describes itself
    if (!neighbour) return;
    this.until = Math.min(this.order.length, Math.max(this.until, pos + 1 + AHEAD));
    this.pump();
  }

  private pump(): void {
    while (this.inFlight < IN_FLIGHT && this.next < this.until) {
      const member = this.order[this.next++]!;
      this.inFlight++;
      member
        .describeAhead()
        .catch(() => undefined) // its own open asks again and reports what Score says
        .finally(() => {
          this.inFlight--;
          this.pump();
        });
    }
  }
}
