/**
 * `.github/skillgate.yml` on the default branch holds both the App's switches and the
 * policy overrides. This splits and checks the App's part; the rest goes to the policy.
 */
export const CONFIG_FILE = "skillgate.yml";
export const CONFIG_PATH = `.github/${CONFIG_FILE}`;

export type MergeMethod = "merge" | "squash" | "rebase";

export interface AppConfig {
  /** Approve a pull request whose skills all pass and which touches nothing else. */
  approve: boolean;
  /** Also merge it (with the head SHA guard). */
  merge: boolean;
  merge_method: MergeMethod;
  skills_path: string;
  /** More changed skills than this fail the check (nothing runs). */
  max_skills_per_pr: number;
}

export const DEFAULT_APP_CONFIG: AppConfig = {
  approve: true,
  merge: false,
  merge_method: "squash",
  skills_path: "skills",
  max_skills_per_pr: 20,
};

/** The config file is unusable; the check fails with this message. */
export class AppConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`${CONFIG_PATH} (default branch): ${problems.join("; ")}`);
    this.name = "AppConfigError";
  }
}

const APP_KEYS = new Set(Object.keys(DEFAULT_APP_CONFIG));

/** Splits the parsed file into the App's switches and the policy override (undefined when none). */
export function splitConfig(raw: unknown): { app: AppConfig; policy: Record<string, unknown> | undefined } {
  if (raw === null || raw === undefined) return { app: { ...DEFAULT_APP_CONFIG }, policy: undefined };
  if (typeof raw !== "object" || Array.isArray(raw)) throw new AppConfigError(["the file must hold a mapping of keys"]);
  const problems: string[] = [];
  const app: AppConfig = { ...DEFAULT_APP_CONFIG };
  const policy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    if (!APP_KEYS.has(key)) {
      policy[key] = value;
      continue;
    }
    switch (key) {
      case "approve":
      case "merge":
        if (typeof value !== "boolean") problems.push(`${key} must be true or false, not ${JSON.stringify(value)}`);
        else app[key] = value;
        break;
      case "merge_method":
        if (value !== "merge" && value !== "squash" && value !== "rebase") problems.push(`merge_method must be merge, squash or rebase, not ${JSON.stringify(value)}`);
        else app.merge_method = value;
        break;
      case "skills_path":
        if (typeof value !== "string" || !/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/.test(value) || value.split("/").some((p) => p === ".." || p === "."))
          problems.push(`skills_path must be a relative folder like "skills", not ${JSON.stringify(value)}`);
        else app.skills_path = value;
        break;
      case "max_skills_per_pr":
        if (typeof value !== "number" || !Number.isInteger(value) || value < 1) problems.push(`max_skills_per_pr must be a whole number >= 1, not ${JSON.stringify(value)}`);
        else app.max_skills_per_pr = value;
        break;
    }
  }
  if (app.merge && !app.approve) problems.push("merge: true needs approve: true (skillgate merges only what it approved)");
  if (problems.length) throw new AppConfigError(problems);
  return { app, policy: Object.keys(policy).length ? policy : undefined };
}
