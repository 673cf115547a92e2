/**
 * Fetch exactly the commits a check needs into a private work folder, with simple-git.
 *
 * - The folder is created under `workDir` (mode 0700) and returned; the caller removes it.
 * - `shas[0]` is checked out (detached); the other SHAs are fetched only (e.g. the base).
 * - The installation token enters git only as an `http.extraheader` passed through the
 *   environment (GIT_CONFIG_COUNT/KEY/VALUE): never in a URL, never on a command line,
 *   never in `.git/config`, never in an error message (errors are scrubbed of it).
 * - Fork pull requests: GitHub serves a fork's head from the base repository under
 *   `refs/pull/N/head`; when fetching a SHA directly fails and `pullNumber` is given, that
 *   ref is fetched instead and the SHA must be its tip (or reachable from it).
 * - `depth` makes the fetch shallow; with `mergeBaseOf` the history is deepened until the
 *   two commits have a merge base (then unshallowed as a last resort).
 */
import { mkdtemp, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { simpleGit, type SimpleGit } from "simple-git";

export interface FetchCommitsOptions {
  workDir: string;
  cloneUrl: string;
  token?: string;
  /** Commits to fetch; the first is checked out. */
  shas: string[];
  /** Shallow fetch depth; undefined fetches whole history of the SHAs. */
  depth?: number;
  /** Pull request number, to fall back on `refs/pull/N/head` (fork pull requests). */
  pullNumber?: number;
  /** Deepen until these two SHAs have a merge base (needed to diff a pull request). */
  mergeBaseOf?: [string, string];
  signal?: AbortSignal;
}

/** git failed; the message names the step and is free of the token. */
export class FetchCommitsError extends Error {
  constructor(message: string, readonly step: string, readonly cloneUrl: string) {
    super(message);
    this.name = "FetchCommitsError";
  }
}

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;

export async function fetchCommits(opts: FetchCommitsOptions): Promise<string> {
  const { token } = opts;
  const scrub = (text: string): string => scrubSecret(text, token);
  if (opts.shas.length === 0) throw new FetchCommitsError("fetchCommits: no commit to fetch", "args", opts.cloneUrl);
  for (const sha of opts.shas) {
    if (!SHA.test(sha)) throw new FetchCommitsError(`fetchCommits: not a full commit SHA: ${JSON.stringify(sha)}`, "args", opts.cloneUrl);
  }
  if (/^[a-z+]+:\/\/[^/]*@/i.test(opts.cloneUrl)) {
    throw new FetchCommitsError("fetchCommits: credentials in the clone URL are refused; pass token instead", "args", redactUrl(opts.cloneUrl));
  }
  await mkdir(opts.workDir, { recursive: true, mode: 0o700 });
  const dir = await mkdtemp(join(opts.workDir, "repo-"));
  const git = gitIn(dir, token, opts.signal);
  const step = async (name: string, fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
    } catch (err) {
      const text = err instanceof Error ? err.message : String(err);
      throw new FetchCommitsError(`git ${name} failed for ${opts.cloneUrl}: ${scrub(text).trim()}`, name, opts.cloneUrl);
    }
  };
  const depthArgs = opts.depth ? [`--depth=${opts.depth}`] : [];
  await step("init", () => git.init());
  await step("remote", () => git.addRemote("origin", opts.cloneUrl));
  try {
    await step("fetch", () => git.fetch(["--no-tags", "--no-recurse-submodules", ...depthArgs, "origin", ...opts.shas]));
  } catch (err) {
    if (opts.pullNumber === undefined) throw err;
    // Fork pull request: fetch its head from the base repository, the other SHAs by themselves.
    const pullRef = `refs/pull/${opts.pullNumber}/head:refs/remotes/origin/pull-head`;
    await step("fetch pull ref", () => git.fetch(["--no-tags", "--no-recurse-submodules", ...depthArgs, "origin", pullRef]));
    const rest = opts.shas.slice(1);
    if (rest.length) await step("fetch", () => git.fetch(["--no-tags", "--no-recurse-submodules", ...depthArgs, "origin", ...rest]));
  }
  await step("checkout", () => git.raw(["-c", "advice.detachedHead=false", "checkout", "--detach", "--force", opts.shas[0]!]));
  if (opts.mergeBaseOf) await ensureMergeBase(git, opts.mergeBaseOf, step);
  return dir;
}

async function ensureMergeBase(
  git: SimpleGit,
  [a, b]: [string, string],
  step: (name: string, fn: () => Promise<unknown>) => Promise<void>,
): Promise<void> {
  const hasBase = async (): Promise<boolean> => {
    try {
      return (await git.raw(["merge-base", a, b])).trim().length > 0;
    } catch {
      return false;
    }
  };
  if (await hasBase()) return;
  const shallow = (await git.raw(["rev-parse", "--is-shallow-repository"])).trim() === "true";
  if (!shallow) throw new Error(`no merge base between ${a} and ${b}`);
  for (const deepen of [50, 200]) {
    await step("fetch --deepen", () => git.fetch(["--no-tags", `--deepen=${deepen}`, "origin", a, b]));
    if (await hasBase()) return;
  }
  await step("fetch --unshallow", () => git.fetch(["--no-tags", "--unshallow", "origin", a, b]));
  if (!(await hasBase())) throw new Error(`no merge base between ${a} and ${b}`);
}

function gitIn(dir: string, token: string | undefined, signal: AbortSignal | undefined): SimpleGit {
  // The environment below is entirely ours (nothing inherited), so the two config-by-env
  // switches simple-git guards are opened on purpose: /dev/null as global config, and the header.
  const git = simpleGit({ baseDir: dir, abort: signal, unsafe: { allowUnsafeConfigPaths: true, allowUnsafeConfigEnvCount: true } });
  // A minimal environment: no credential helper prompt, no user/system config surprises.
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    // Never the checkout: a .gitconfig committed at the repository root must not be read.
    HOME: "/nonexistent",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_TERMINAL_PROMPT: "0",
    LANG: "C",
  };
  if (token) {
    const basic = Buffer.from(`x-access-token:${token}`).toString("base64");
    env.GIT_CONFIG_COUNT = "1";
    env.GIT_CONFIG_KEY_0 = "http.extraheader";
    env.GIT_CONFIG_VALUE_0 = `AUTHORIZATION: basic ${basic}`;
  }
  return git.env(env);
}

/** Removes the token (raw and base64-wrapped) from a text. */
export function scrubSecret(text: string, token: string | undefined): string {
  if (!token) return text;
  const basic = Buffer.from(`x-access-token:${token}`).toString("base64");
  return text.split(basic).join("***").split(token).join("***");
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^/]*@/, "//***@");
}
