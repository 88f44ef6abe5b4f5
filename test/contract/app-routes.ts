import type express from 'express';

/** One method and path the express app routes, in OpenAPI's path form (`/api/orders/{id}`). */
export interface AppRoute {
  method: string;
  path: string;
}

interface Layer {
  rawPath?: string | string[];
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

const asList = (path: string | string[] | undefined) => (path === undefined ? [''] : [path].flat());
const openApiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}').replace(/\/$/, '') || '/';

/** Every route of the app, read from express's router (router 2.x keeps each layer's rawPath). */
export function appRoutes(app: express.Express): AppRoute[] {
  const walk = (stack: Layer[], prefix: string): AppRoute[] =>
    stack.flatMap((layer) => {
      if (layer.route) {
        const route = layer.route;
        return asList(route.path).flatMap((path) =>
          Object.keys(route.methods).map((method) => ({ method, path: openApiPath(prefix + path) })),
        );
      }
      const nested = layer.handle?.stack;
      if (!nested) return [];
      return asList(layer.rawPath).flatMap((mount) => walk(nested, prefix + (mount === '/' ? '' : mount)));
    });
  const router = (app as unknown as { router: { stack: Layer[] } }).router;
  return walk(router.stack, '');
}
