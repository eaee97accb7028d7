// One error model: typed domain errors, mapped once by the app's onError to {error:{code,message,details}}.
// `code` is a stable key the console translates (ui/i18n: errors.<code>).
export class AppError extends Error {
  constructor(
    public status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 500 | 502 | 503,
    public code: string,
    message: string,
    public details?: unknown,
    /** seconds after which the caller may try again (sent as Retry-After) */
    public retryAfter?: number,
  ) {
    super(message);
  }
}

export const badRequest = (code: string, message: string, details?: unknown) =>
  new AppError(400, code, message, details);
export const unauthorized = (message = "Authentication required") => new AppError(401, "unauthorized", message);
export const forbidden = (code = "forbidden", message = "Not allowed") => new AppError(403, code, message);
export const notFound = (what: string) => new AppError(404, "not_found", `${what} not found`);
export const conflict = (code: string, message: string, details?: unknown) => new AppError(409, code, message, details);
