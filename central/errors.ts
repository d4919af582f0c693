// The console's refusals beyond core/errors.ts's BadRequestError (400) and auth/access.ts's Forbidden (403): the
// HTTP layer answers each with its status and a one-line message naming the thing at fault.
export class NotFound extends Error {
  readonly status = 404;
  constructor(message: string) {
    super(message);
    this.name = 'NotFound';
  }
}

/** The request is well formed but the thing is not in a state for it (a meeting that has ended). */
export class Conflict extends Error {
  readonly status = 409;
  constructor(message: string) {
    super(message);
    this.name = 'Conflict';
  }
}
