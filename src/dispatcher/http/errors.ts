/** An API error answer (SPEC §3): `{"error": {"code", "message"}}` with its status. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;

  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

export const notFound = (what: string): HttpError =>
  new HttpError(
    404,
    'not_found',
    `${what} was not found. Check the id (list them with GET /api/webhooks) and the API key you use.`,
  );

export const validationFailed = (message: string): HttpError => new HttpError(400, 'validation_failed', message);
