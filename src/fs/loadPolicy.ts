/**
 * Read the shipped policies/default.yml (found from skillgate's own package root, so it
 * works from src/ under vitest, from dist/src/ after tsc and from the bundled Action)
 * and an optional override, and parse them into a Policy. A missing or unreadable
 * override the caller named is a PolicyError, never silently ignored.
 */
import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { PolicyError, parsePolicy } from "../core/parsePolicy.js";
import type { Policy } from "../core/policy.js";
import { packageRoot } from "../packageRoot.js";

/** Policy files are small; anything bigger is refused before it is read in full. */
export const MAX_POLICY_BYTES = 256 * 1024;

export interface LoadPolicyOptions {
  /** Path of an override file on the host (e.g. a default-branch .github/skillgate.yml). */
  overrideFile?: string;
  /** Override text already fetched (e.g. through the GitHub API); wins over overrideFile. */
  overrideText?: string;
  /** Name shown in errors for overrideText. Default: overrideFile or ".github/skillgate.yml". */
  overrideName?: string;
}

export function defaultPolicyPath(): string {
  return join(packageRoot(), "policies", "default.yml");
}

/** Read at most MAX_POLICY_BYTES + 1 bytes; more is an error naming the file. */
async function readBounded(path: string, shownAs: string): Promise<string> {
  let handle;
  try {
    // O_NONBLOCK: a FIFO in place of the file must not block the open.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw new PolicyError(shownAs, 1, 1, `cannot read the policy file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new PolicyError(shownAs, 1, 1, "the policy file is not a regular file");
    const buf = Buffer.alloc(MAX_POLICY_BYTES + 1);
    let total = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buf, total, buf.length - total, total);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > MAX_POLICY_BYTES) throw new PolicyError(shownAs, 1, 1, `the policy file is larger than ${MAX_POLICY_BYTES} bytes`);
    }
    return buf.subarray(0, total).toString("utf8");
  } finally {
    await handle.close();
  }
}

export async function loadPolicy(opts: LoadPolicyOptions = {}): Promise<Policy> {
  const defaultText = await readBounded(defaultPolicyPath(), "policies/default.yml");
  if (opts.overrideText !== undefined) {
    return parsePolicy(defaultText, opts.overrideText, opts.overrideName ?? opts.overrideFile ?? ".github/skillgate.yml");
  }
  if (opts.overrideFile !== undefined) {
    const shownAs = opts.overrideName ?? opts.overrideFile;
    return parsePolicy(defaultText, await readBounded(opts.overrideFile, shownAs), shownAs);
  }
  return parsePolicy(defaultText);
}
