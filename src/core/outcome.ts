/** SPEC §4: an attempt succeeds on any 2xx answered within the timeout; anything else fails. */
export function isSuccessStatus(statusCode: number | null | undefined): boolean {
  return typeof statusCode === 'number' && statusCode >= 200 && statusCode < 300;
}

/** One rule for every place that judges an attempt: a 2xx and no transport error (a reset after the status is a failure). */
export function attemptSucceeded(attempt: { statusCode: number | null; error: string | null }): boolean {
  return isSuccessStatus(attempt.statusCode) && attempt.error === null;
}
