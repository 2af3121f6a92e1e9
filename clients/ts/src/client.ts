// A small typed client of the Ambito API, on the types openapi-typescript generates from
// openapi.yaml into ./schema.ts (see README.md beside this file). It is what a portal team
// would start from; CI compiles it under `tsc --strict`, so a spec change that breaks
// generated clients breaks the build.
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];
export type Problem = Schemas["Problem"];
export type Tender = Schemas["TenderView"];
export type Application = Schemas["ApplicationView"];
export type TenderQuery = NonNullable<paths["/api/v1/tenders"]["get"]["parameters"]["query"]>;
export type ApplicationQuery = NonNullable<paths["/api/v1/applications"]["get"]["parameters"]["query"]>;
export type Page<T> = { items: T[]; next_cursor?: string | null };

/** A problem+json answer, thrown by every call that does not succeed. */
export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(`${status} ${problem.code}: ${problem.detail}`);
  }
}

/** A resource with the ETag it was read at, to send back in If-Match. */
export type Versioned<T> = { value: T; etag: string | null };

export class AmbitoClient {
  private token: string | null = null;

  constructor(private readonly base: string) {}

  async logIn(email: string, password: string): Promise<Schemas["TokenResponse"]> {
    const body: Schemas["LoginRequest"] = { email, password };
    const tokens = await this.send<Schemas["TokenResponse"]>("POST", "/api/v1/auth/login", body);
    this.token = tokens.access_token;
    return tokens;
  }

  /** One page of calls; pass the previous page's `next_cursor` as `cursor` for the next. */
  listTenders(query: TenderQuery = {}): Promise<Page<Tender>> {
    return this.send<Schemas["Listing_TenderView"]>("GET", "/api/v1/tenders", undefined, query);
  }

  /** Every call matching `query`, following the cursors. */
  async *allTenders(query: TenderQuery = {}): AsyncGenerator<Tender> {
    let cursor: string | undefined;
    do {
      const page = await this.listTenders({ ...query, cursor });
      yield* page.items;
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
  }

  async getTender(id: string): Promise<Versioned<Tender>> {
    return this.versioned<Tender>(`/api/v1/tenders/${encodeURIComponent(id)}`);
  }

  listApplications(query: ApplicationQuery = {}): Promise<Page<Application>> {
    return this.send<Schemas["Listing_ApplicationView"]>("GET", "/api/v1/applications", undefined, query);
  }

  private async versioned<T>(path: string): Promise<Versioned<T>> {
    const response = await this.fetch("GET", path);
    return { value: (await response.json()) as T, etag: response.headers.get("ETag") };
  }

  private async send<T>(method: string, path: string, body?: unknown, query?: object): Promise<T> {
    const response = await this.fetch(method, path, body, query);
    return (await response.json()) as T;
  }

  private async fetch(method: string, path: string, body?: unknown, query?: object): Promise<Response> {
    const url = new URL(path, this.base);
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null) url.searchParams.set(name, String(value));
    }
    const headers: Record<string, string> = { Accept: "application/json" };
    if (this.token) headers["Authorization"] = `Bearer ${this.token}`;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(url, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) {
      throw new ProblemError(response.status, (await response.json()) as Problem);
    }
    return response;
  }
}
