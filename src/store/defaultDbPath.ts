/** Where the store lives: $SKILLGATE_DB, else skillgate.db in the work folder. */
import { join, resolve } from "node:path";

export function defaultDbPath(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): string {
  if (env.SKILLGATE_DB) return resolve(cwd, env.SKILLGATE_DB);
  const workDir = env.SKILLGATE_WORKDIR ? resolve(cwd, env.SKILLGATE_WORKDIR) : join(cwd, ".skillgate");
  return join(workDir, "skillgate.db");
}
