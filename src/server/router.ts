// A tiny exact-segment router: patterns like '/studies/:studyId/analysis/:analysisId'.

export type Params = Record<string, string>;

export interface Route<H> {
  pattern: string;
  handler: H;
}

export class Router<H> {
  private readonly routes: { segments: string[]; handler: H }[] = [];

  add(pattern: string, handler: H): this {
    this.routes.push({ segments: split(pattern), handler });
    return this;
  }

  /**
   * The handler and decoded parameters for a request path (percent-encoded, no query). Throws URIError
   * for malformed percent-encoding.
   */
  match(path: string): { handler: H; params: Params } | undefined {
    const raw = split(path);
    for (const route of this.routes) {
      if (route.segments.length !== raw.length) continue;
      const params: Params = {};
      let ok = true;
      for (let i = 0; i < raw.length && ok; i++) {
        const want = route.segments[i]!;
        const got = decodeURIComponent(raw[i]!);
        if (want.startsWith(':')) params[want.slice(1)] = got;
        else ok = want === got;
      }
      if (ok) return { handler: route.handler, params };
    }
    return undefined;
  }
}

function split(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}
