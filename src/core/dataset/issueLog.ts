import type { LoadIssue } from './types.ts';

/** Offenders kept per problem: memory stays bounded whatever the file holds. */
export const maxExamples = 5;

/**
 * Collects per-item problems grouped by kind, so that 50,000 bad annotations become one
 * warning with a count and the first few offenders instead of 50,000 messages.
 */
export class IssueLog {
  private groups = new Map<string, LoadIssue>();

  constructor(private readonly file: string) {}

  /** Records one offender of the problem `message`. */
  warn(message: string, example: string): void {
    this.add('warning', message, example);
  }

  /**
   * Records one offender; `describe` runs only while examples of `message` are still kept, so
   * finding where an offender is (a lookup) costs nothing past the first few.
   */
  warnLazily(message: string, describe: () => string): void {
    const kept = this.groups.get('warning\u0000' + message)?.examples?.length ?? 0;
    this.add('warning', message, kept < maxExamples ? describe() : undefined);
  }

  /** Records `count` offenders at once (counted in a batch), with the first one's `example`. */
  warnCount(message: string, count: number, example: string): void {
    this.add('warning', message, example, count);
  }

  add(severity: LoadIssue['severity'], message: string, example?: string, count = 1): void {
    const key = severity + '\u0000' + message;
    let issue = this.groups.get(key);
    if (!issue) {
      issue = { severity, file: this.file, message, count: 0, examples: [] };
      this.groups.set(key, issue);
    }
    issue.count = (issue.count ?? 0) + count;
    if (example !== undefined && issue.examples!.length < maxExamples) issue.examples!.push(example);
  }

  /** Adds issues collected elsewhere (another batch), keeping the first examples. */
  merge(issues: LoadIssue[]): void {
    for (const incoming of issues) {
      const key = incoming.severity + '\u0000' + incoming.message;
      const issue = this.groups.get(key);
      if (!issue) {
        this.groups.set(key, { ...incoming, file: this.file, examples: [...(incoming.examples ?? [])] });
        continue;
      }
      issue.count = (issue.count ?? 0) + (incoming.count ?? 0);
      for (const e of incoming.examples ?? []) if (issue.examples!.length < maxExamples) issue.examples!.push(e);
    }
  }

  countOf(message: string): number {
    return this.groups.get('warning\u0000' + message)?.count ?? 0;
  }

  issues(): LoadIssue[] {
    return [...this.groups.values()];
  }
}
