/** Exit codes of the CLI (SPEC §5). */
export const ExitCode = {
  OK: 0,
  /** API error, bad signature, unmet expectation. */
  FAILURE: 1,
  /** Bad or missing arguments, including input a prompt would have asked for off a TTY. */
  USAGE: 2,
  /** Missing or rejected credentials. */
  CREDENTIALS: 3,
  /** Stopped by Ctrl+C (128 + SIGINT), as shells report it (issue 17). */
  INTERRUPTED: 130,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface V2kErrorOptions {
  code: string;
  exitCode?: ExitCodeValue;
  /** What to do next, shown under the message. */
  hint?: string;
  cause?: unknown;
}

/** Base of every error this package throws on purpose. */
export class V2kError extends Error {
  readonly code: string;
  readonly exitCode: ExitCodeValue;
  readonly hint: string | undefined;

  constructor(message: string, options: V2kErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = options.code;
    this.exitCode = options.exitCode ?? ExitCode.FAILURE;
    this.hint = options.hint;
  }
}

/** Bad or missing arguments: exit 2. */
export class UsageError extends V2kError {
  constructor(message: string, hint?: string) {
    super(message, { code: 'usage', exitCode: ExitCode.USAGE, hint });
  }
}

/** No API key, or the key was rejected: exit 3. */
export class CredentialsError extends V2kError {
  constructor(message: string, hint = 'Run `v2k-webhooks login` or set V2K_API_KEY.') {
    super(message, { code: 'credentials', exitCode: ExitCode.CREDENTIALS, hint });
  }
}

/** The error body of the REST API (SPEC §3). */
export interface ApiErrorBody {
  error: { code: string; message: string };
}

/** A non-2xx answer of the REST API, carrying the status and the server's error body. */
export class ApiError extends V2kError {
  readonly status: number;
  readonly body: unknown;

  constructor(status: number, body: unknown, options: { hint?: string; message?: string } = {}) {
    const parsed = readApiErrorBody(body);
    super(options.message ?? parsed?.message ?? `The API answered HTTP ${status}.`, {
      code: parsed?.code ?? `http_${status}`,
      exitCode: status === 401 ? ExitCode.CREDENTIALS : ExitCode.FAILURE,
      hint: options.hint,
    });
    this.status = status;
    this.body = body;
  }
}

/** Picks `{error: {code, message}}` out of an answer, or undefined when it has another shape. */
export function readApiErrorBody(body: unknown): ApiErrorBody['error'] | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const error = (body as { error?: unknown }).error;
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code !== 'string' || typeof message !== 'string') return undefined;
  return { code, message };
}
