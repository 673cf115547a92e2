/** The port the re-validation run uses for regression issues (GitHub implements it). */
export interface TrackedIssue {
  number: number;
  body: string;
}

export interface IssueTracker {
  /** Open skillgate issues of the repository, by the fingerprint in their body. */
  openIssues(): Promise<Map<string, TrackedIssue>>;
  create(title: string, body: string): Promise<number>;
  update(number: number, body: string): Promise<void>;
  comment(number: number, body: string): Promise<void>;
  close(number: number, comment: string): Promise<void>;
}
