interface StoredCookie {
  value: string;
  path: string;
  expiresAt: number;
}

export interface Visit {
  /** The last response (not followed further). */
  response: Response;
  /** Its URL. */
  url: URL;
  /** Every URL visited, the first one included. */
  chain: URL[];
}

/**
 * What a browser does with redirects and cookies, for tests that go through sign-in without one: a cookie
 * jar (per host name, as browsers do, honouring Path, Max-Age and Expires) and redirects followed one by one
 * so that a test can stop at a given URL (e.g. the callback) and look at it.
 */
export class Browser {
  private readonly jar = new Map<string, Map<string, StoredCookie>>();

  /** One request, no redirect followed; cookies sent and stored. */
  async fetch(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const target = new URL(url);
    const headers = new Headers(init.headers);
    const cookie = this.cookieHeader(target);
    if (cookie && !headers.has('cookie')) headers.set('cookie', cookie);
    const response = await fetch(target, { ...init, headers, redirect: 'manual' });
    this.store(target, response.headers.getSetCookie());
    return response;
  }

  /**
   * GETs `url` and follows redirects until a response is not a redirect or `stopAt` says stop (it is
   * called with each redirect's target before it is requested; that URL is then not visited).
   */
  async visit(url: string | URL, stopAt: (next: URL) => boolean = () => false, maxRedirects = 20): Promise<Visit> {
    let current = new URL(url);
    const chain = [current];
    for (let redirects = 0; ; redirects++) {
      const response = await this.fetch(current);
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) return { response, url: current, chain };
      const next = new URL(location, current);
      if (stopAt(next)) return { response, url: next, chain: [...chain, next] };
      if (redirects >= maxRedirects) throw new Error(`more than ${maxRedirects} redirects: ${chain.join(' -> ')}`);
      await response.body?.cancel();
      current = next;
      chain.push(current);
    }
  }

  /** A cookie's value for a URL (undefined when the jar has none that the URL would be sent). */
  cookie(url: string | URL, name: string): string | undefined {
    const target = new URL(url);
    const cookie = this.jar.get(target.hostname)?.get(name);
    if (!cookie || cookie.expiresAt <= Date.now() || !pathMatches(target.pathname, cookie.path)) return undefined;
    return cookie.value;
  }

  /** Sets or replaces a cookie by hand (e.g. a tampered one). */
  setCookie(url: string | URL, name: string, value: string, path = '/'): void {
    const host = new URL(url).hostname;
    if (!this.jar.has(host)) this.jar.set(host, new Map());
    this.jar.get(host)!.set(name, { value, path, expiresAt: Infinity });
  }

  clear(): void {
    this.jar.clear();
  }

  private cookieHeader(target: URL): string {
    const cookies = this.jar.get(target.hostname);
    if (!cookies) return '';
    const now = Date.now();
    return [...cookies]
      .filter(([, cookie]) => cookie.expiresAt > now && pathMatches(target.pathname, cookie.path))
      .map(([name, cookie]) => `${name}=${cookie.value}`)
      .join('; ');
  }

  private store(target: URL, setCookies: string[]): void {
    for (const line of setCookies) {
      const [pair, ...attributes] = line.split(';').map((part) => part.trim());
      const separator = pair.indexOf('=');
      if (separator <= 0) continue;
      const name = pair.slice(0, separator);
      const value = pair.slice(separator + 1);
      let path = '/';
      let expiresAt = Infinity;
      for (const attribute of attributes) {
        const [key, ...rest] = attribute.split('=');
        const attributeValue = rest.join('=');
        switch (key.toLowerCase()) {
          case 'path':
            path = attributeValue || '/';
            break;
          case 'max-age':
            expiresAt = Date.now() + Number(attributeValue) * 1000;
            break;
          case 'expires':
            if (expiresAt === Infinity) expiresAt = Date.parse(attributeValue);
            break;
        }
      }
      if (!this.jar.has(target.hostname)) this.jar.set(target.hostname, new Map());
      const cookies = this.jar.get(target.hostname)!;
      if (expiresAt <= Date.now()) cookies.delete(name);
      else cookies.set(name, { value, path, expiresAt });
    }
  }
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}
