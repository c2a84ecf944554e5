/**
 * The `seq` of the events one node writes: its epoch ms × 1000, made unique by a counter, and above the
 * subject's last `seq` read through the writing transaction. A later write of a subject then sorts later even
 * when the node that wrote the one before had its clock ahead (the changes of one call are serialised by the
 * call's row), and more than a thousand events in one millisecond still sort in the order written.
 */
export class Sequence {
  private last = 0;

  next(now: number, lastOfSubject: number): number {
    this.last = Math.max(now * 1000, this.last + 1, lastOfSubject + 1);
    return this.last;
  }
}
