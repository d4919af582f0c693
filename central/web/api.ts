// The HTTP API as the page uses it: JSON in and out, the CSRF token on every request that changes something, and
// the server's own error message (which names the thing at fault) carried in the thrown error.
import type { Operator } from '../wire.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export class Api {
  csrf: string | null = null;
  /** Called when the server says the session is gone (401): the page goes back to the login form. */
  onLoggedOut: () => void = () => {};

  async request<T = any>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (method !== 'GET' && this.csrf) headers['x-csrf-token'] = this.csrf;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
    } catch (err) {
      throw new ApiError(0, 'network', (err as Error).message);
    }
    const text = await res.text();
    const json = (res.headers.get('content-type') ?? '').startsWith('application/json') && text ? JSON.parse(text) : text;
    if (!res.ok) {
      const e = typeof json === 'object' && json?.error ? json.error : { code: String(res.status), message: text || res.statusText };
      if (res.status === 401 && path !== '/api/login') this.onLoggedOut();
      throw new ApiError(res.status, e.code, e.message);
    }
    return json as T;
  }

  get<T = any>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T = any>(path: string, body: unknown = {}): Promise<T> {
    return this.request<T>('POST', path, body);
  }

  del<T = any>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }

  async login(username: string, password: string): Promise<Operator> {
    const r = await this.post<{ operator: Operator; csrf: string }>('/api/login', { username, password });
    this.csrf = r.csrf;
    return r.operator;
  }

  /** The session this page already has (a reload), or null. */
  async me(): Promise<Operator | null> {
    try {
      const r = await this.get<{ operator: Operator; csrf: string }>('/api/me');
      this.csrf = r.csrf;
      return r.operator;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return null;
      throw err;
    }
  }

  async logout(): Promise<void> {
    await this.post('/api/logout').catch(() => {});
    this.csrf = null;
  }
}
