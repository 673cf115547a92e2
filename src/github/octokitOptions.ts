/**
 * The Octokit class the App uses: Probot's own (retry + throttling plugins on), with
 * bounded retries. 5xx and 429 are retried with backoff; a primary or secondary rate limit
 * waits and retries at most twice; 4xx answers (404, 409, 422...) are not retried.
 */
import { ProbotOctokit } from "probot";

export interface OctokitTuning {
  /** Base of the retry backoff in ms (the plugin waits base * (n+1)^2). Default 1000; tests use less. */
  retryBaseMs?: number;
  /** Retries of a failed request. Default 3. */
  retries?: number;
}

interface LoggingOctokit {
  log: { warn: (msg: string) => void };
}

export function skillgateOctokit(tuning: OctokitTuning = {}): typeof ProbotOctokit {
  const onLimit = (kind: string) => (retryAfter: number, options: { method?: string; url?: string }, octokit: LoggingOctokit, retryCount: number): boolean => {
    const retry = retryCount < 2 && retryAfter <= 120;
    octokit.log.warn(`${kind} on ${options.method} ${options.url}: ${retry ? `retrying in ${retryAfter}s` : "giving up"}`);
    return retry;
  };
  return ProbotOctokit.defaults({
    retry: {
      retries: tuning.retries ?? 3,
      retryAfterBaseValue: tuning.retryBaseMs ?? 1000,
      doNotRetry: [400, 401, 403, 404, 405, 409, 410, 422, 451],
    },
    throttle: {
      enabled: true,
      retryAfterBaseValue: tuning.retryBaseMs ?? 1000,
      onRateLimit: onLimit("rate limit"),
      onSecondaryRateLimit: onLimit("secondary rate limit"),
    },
  });
}
