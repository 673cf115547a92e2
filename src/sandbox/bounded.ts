/**
 * Every call to Docker is bounded in time: with too little memory runsc hangs
 * and `docker rm -f` hangs with it (DESIGN.md). A timed-out call is abandoned
 * (its late result or error is swallowed) and reported as DockerTimeoutError.
 */
export class DockerTimeoutError extends Error {
  constructor(
    readonly step: string,
    readonly ms: number,
  ) {
    super(`docker ${step} did not answer within ${ms} ms`);
    this.name = "DockerTimeoutError";
  }
}

export function bounded<T>(work: Promise<T>, ms: number, step: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DockerTimeoutError(step, ms)), ms);
  });
  work.catch(() => undefined);
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
