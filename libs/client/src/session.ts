/**
 * Tokens in memory only (never localStorage: a script injected into the page
 * could read it), refreshed shortly before they expire and when the API
 * answers 401, one refresh at a time however many requests need it.
 */

export interface SessionTokens {
  readonly accessToken: string;
  readonly idToken?: string;
  readonly refreshToken?: string;
  /** Seconds the access token is valid from now. */
  readonly expiresIn: number;
}

/** How a session renews itself: Gatehouse's refresh route, or the IdP's token endpoint. */
export type Refresher = (refreshToken: string) => Promise<SessionTokens>;

export interface SessionInfo {
  readonly tenant: string;
  /** `password` (Gatehouse sign-in) or `sso`. */
  readonly method: 'password' | 'sso';
}

export class TokenSession {
  private tokens: SessionTokens;
  private expiresAtMs: number;
  private refreshing: Promise<void> | undefined;

  constructor(
    readonly info: SessionInfo,
    tokens: SessionTokens,
    private readonly refresher: Refresher | undefined,
    private readonly now: () => number,
  ) {
    this.tokens = tokens;
    this.expiresAtMs = now() + tokens.expiresIn * 1000;
  }

  get refreshToken(): string | undefined {
    return this.tokens.refreshToken;
  }

  get idToken(): string | undefined {
    return this.tokens.idToken;
  }

  /** The current access token without refreshing (for display and tests). */
  get currentAccessToken(): string {
    return this.tokens.accessToken;
  }

  expiresWithin(seconds: number): boolean {
    return this.now() >= this.expiresAtMs - seconds * 1000;
  }

  canRefresh(): boolean {
    return this.refresher !== undefined && this.tokens.refreshToken !== undefined;
  }

  /** Renews the tokens; concurrent callers share one request. Rejects when the session cannot be renewed. */
  refresh(): Promise<void> {
    this.refreshing ??= this.renew().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async renew(): Promise<void> {
    const refreshToken = this.tokens.refreshToken;
    if (!this.refresher || !refreshToken) throw new Error('this session cannot be refreshed');
    const renewed = await this.refresher(refreshToken);
    // Cognito and most IdPs do not rotate the refresh token: keep the one we have unless a new one came.
    this.tokens = { ...renewed, refreshToken: renewed.refreshToken ?? refreshToken };
    this.expiresAtMs = this.now() + renewed.expiresIn * 1000;
  }
}
