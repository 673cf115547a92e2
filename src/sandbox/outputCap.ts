/** The output budget of a run: stdout + stderr kept up to a shared byte cap, the rest discarded while it streams. */
import { Writable } from "node:stream";

/** Collects stdout/stderr up to a shared byte budget; past it, keeps nothing more and signals. */
export class OutputCap {
  readonly stdout: Buffer[] = [];
  readonly stderr: Buffer[] = [];
  total = 0;
  exceeded = false;
  constructor(
    private readonly budget: number,
    private readonly onExceeded: () => void,
  ) {}
  sink(into: Buffer[]): Writable {
    return new Writable({
      write: (chunk: Buffer, _enc, done) => {
        const room = this.budget - this.total;
        if (chunk.length > room) {
          if (room > 0) into.push(chunk.subarray(0, room));
          this.total = this.budget;
          if (!this.exceeded) {
            this.exceeded = true;
            this.onExceeded();
          }
        } else {
          into.push(chunk);
          this.total += chunk.length;
        }
        done();
      },
    });
  }
}
