import { execFileSync } from "node:child_process";
import { createServer, type IncomingHttpHeaders } from "node:http";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchCommits, FetchCommitsError } from "../../src/git/fetchCommits.js";

const git = (cwd: string, ...args: string[]): string =>
  execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "init.defaultBranch=main", ...args], {
    cwd,
    encoding: "utf8",
  }).trim();

let root: string;
let origin: string;
let base: string;
let head: string;
let fork: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "sg-fetch-"));
  origin = join(root, "origin");
  mkdirSync(origin);
  git(origin, "init", "-q");
  writeFileSync(join(origin, "README.md"), "hello\n");
  git(origin, "add", ".");
  git(origin, "commit", "-qm", "root");
  for (let i = 0; i < 5; i++) {
    writeFileSync(join(origin, "n.txt"), `${i}\n`);
    git(origin, "add", ".");
    git(origin, "commit", "-qm", `c${i}`);
  }
  base = git(origin, "rev-parse", "HEAD");
  git(origin, "checkout", "-qb", "feature");
  mkdirSync(join(origin, "skills", "a"), { recursive: true });
  writeFileSync(join(origin, "skills", "a", "main.py"), "def run(i):\n    return i\n");
  writeFileSync(join(origin, ".gitconfig"), "[core]\n\tfsmonitor = touch PWNED\n");
  git(origin, "add", ".");
  git(origin, "commit", "-qm", "skill");
  head = git(origin, "rev-parse", "HEAD");
  // A commit only reachable from refs/pull/7/head (what GitHub does for fork pull requests).
  git(origin, "checkout", "-q", "--detach");
  writeFileSync(join(origin, "fork.txt"), "fork\n");
  git(origin, "add", ".");
  git(origin, "commit", "-qm", "fork");
  fork = git(origin, "rev-parse", "HEAD");
  git(origin, "update-ref", "refs/pull/7/head", fork);
  git(origin, "checkout", "-q", "main");
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("fetchCommits", () => {
  it("fetches head and base shallowly into a private folder, checks out the head, finds the merge base", async () => {
    const dir = await fetchCommits({
      workDir: join(root, "work"),
      cloneUrl: pathToFileURL(origin).href,
      shas: [head, base],
      depth: 1,
      mergeBaseOf: [base, head],
    });
    expect(dir.startsWith(join(root, "work"))).toBe(true);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(readFileSync(join(dir, "skills", "a", "main.py"), "utf8")).toContain("def run");
    expect(git(dir, "rev-parse", "HEAD")).toBe(head);
    expect(git(dir, "merge-base", base, head)).toBe(base);
    // The committed .gitconfig was never read as configuration.
    expect(existsSync(join(dir, "PWNED"))).toBe(false);
  });

  it("fetches a fork pull request's head, only reachable from refs/pull/N/head of the base repository", async () => {
    const dir = await fetchCommits({
      workDir: join(root, "work"),
      cloneUrl: pathToFileURL(origin).href,
      shas: [fork, base],
      depth: 1,
      pullNumber: 7,
    });
    expect(git(dir, "rev-parse", "HEAD")).toBe(fork);
    expect(readFileSync(join(dir, "fork.txt"), "utf8")).toBe("fork\n");
  });

  it("rejects a short SHA and a URL with credentials, without running git", async () => {
    await expect(fetchCommits({ workDir: root, cloneUrl: "https://github.com/o/r.git", shas: ["abc123"] })).rejects.toThrow(
      /not a full commit SHA/,
    );
    const err = await fetchCommits({ workDir: root, cloneUrl: "https://x-access-token:ghs_secret@github.com/o/r.git", shas: [head] }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(FetchCommitsError);
    expect(String((err as Error).message)).not.toContain("ghs_secret");
  });

  it("sends the token only as an Authorization header and scrubs it from errors", async () => {
    const seen: IncomingHttpHeaders[] = [];
    const urls: string[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers);
      urls.push(req.url ?? "");
      res.statusCode = 403;
      res.end("denied ghs_TOPSECRET123");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    const token = "ghs_TOPSECRET123";
    try {
      const err = await fetchCommits({
        workDir: join(root, "work"),
        cloneUrl: `http://127.0.0.1:${port}/o/r.git`,
        token,
        shas: [head],
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(FetchCommitsError);
      const message = (err as Error).message;
      expect(message).toMatch(/git fetch failed/);
      expect(message).not.toContain(token);
      expect(message).not.toContain(Buffer.from(`x-access-token:${token}`).toString("base64"));
      const auth = seen.map((h) => h.authorization).find(Boolean);
      expect(auth).toBe(`basic ${Buffer.from(`x-access-token:${token}`).toString("base64")}`);
      expect(urls.join(" ")).not.toContain(token);
      // Nothing about the token was written into the repository's config.
      const repo = readdirRepo(join(root, "work"));
      for (const r of repo) expect(readFileSync(join(r, ".git", "config"), "utf8")).not.toMatch(/extraheader|TOPSECRET/i);
    } finally {
      server.close();
    }
  });
});

function readdirRepo(work: string): string[] {
  return execFileSync("ls", [work], { encoding: "utf8" })
    .split("\n")
    .filter(Boolean)
    .map((name) => join(work, name));
}
