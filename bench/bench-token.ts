import { mintLocalToken } from '../api/auth/tokens';
import { loadConfig } from '../lib/config';

let authorization: Promise<string> | undefined;

/**
 * The Authorization header the bench sends: TRACKOPS_TOKEN when set (an API whose tokens come from
 * an identity provider), otherwise an operator token signed with this environment's AUTH_JWT_SECRET.
 * Operators are not rate limited, so the bench measures the API, not its limiter.
 */
export function benchAuthorization(): Promise<string> {
  authorization ??= process.env.TRACKOPS_TOKEN
    ? Promise.resolve(`Bearer ${process.env.TRACKOPS_TOKEN}`)
    : mintLocalToken(loadConfig(), { role: 'operator', subject: 'trackops-bench', expiresIn: '24h' }).then(
        (token) => `Bearer ${token}`,
      );
  return authorization;
}
