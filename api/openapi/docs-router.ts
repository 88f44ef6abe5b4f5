import { Router } from 'express';
import swaggerUi from 'swagger-ui-express';
import { OPENAPI_PATH, openApiDocument } from './document';

const DOCS_OPTIONS = { swaggerUrl: OPENAPI_PATH, customSiteTitle: 'TrackOps API', customCss: '' };

/**
 * `GET /api/openapi.json` and the Swagger UI page at `/docs/`, its assets from the swagger-ui-dist
 * package (nothing fetched from elsewhere at run time).
 */
export function createDocsRouter(): Router {
  const router = Router();
  const page = swaggerUi.generateHTML(undefined, DOCS_OPTIONS);
  router.get(OPENAPI_PATH, (_req, res) => {
    res.json(openApiDocument());
  });
  router.get('/docs', (req, res) => {
    // The page loads its assets relative to itself, so it must be served under /docs/.
    if (!req.originalUrl.split('?')[0]?.endsWith('/')) {
      res.redirect(301, '/docs/');
      return;
    }
    res.type('html').send(page);
  });
  router.use('/docs', swaggerUi.serveFiles(undefined, DOCS_OPTIONS));
  return router;
}
