/** Who skillgate is on GitHub (app id and bot login), asked once with the app's JWT. */
import type { Probot } from "probot";

export interface AppIdentity {
  id: number;
  slug: string;
  /** The login of its reviews and comments: "<slug>[bot]". */
  botLogin: string;
}

export function appIdentity(app: Probot): () => Promise<AppIdentity> {
  let pending: Promise<AppIdentity> | undefined;
  return () => {
    pending ??= (async () => {
      const octokit = await app.auth();
      const { data } = await octokit.rest.apps.getAuthenticated();
      if (!data) throw new Error("GET /app returned no app");
      const slug = data.slug ?? String(data.id);
      return { id: data.id, slug, botLogin: `${slug}[bot]` };
    })().catch((err: unknown) => {
      pending = undefined;
      throw err;
    });
    return pending;
  };
}
