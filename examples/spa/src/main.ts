/**
 * The example single-page app: find the tenant from the e-mail's domain (or a
 * slug), sign up and confirm, sign in through every challenge or with the
 * tenant's own identity provider, list and create projects, sign out — all
 * through @gatehouse/client, from this page's own origin (CORS).
 *
 * The API's address comes from /config.json, written by whatever serves the
 * page (`npm start`, the browser tests), so one build runs anywhere.
 */
import { ChallengeRetryError, type ChallengeStep, GatehouseClient, GatehouseError, type SignInStep, type TenantLookup } from '@gatehouse/client';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const value = (id: string) => $<HTMLInputElement>(id).value.trim();
const SECTIONS = ['find-tenant', 'sign-in', 'challenge', 'sign-up', 'app'] as const;

function show(section: (typeof SECTIONS)[number]): void {
  for (const id of SECTIONS) $(id).hidden = id !== section;
}

function say(message: string): void {
  $('status').textContent = message;
  $('error').textContent = '';
}

function fail(error: unknown): void {
  $('error').textContent = error instanceof GatehouseError ? `${error.message} (${error.code})` : error instanceof Error ? error.message : String(error);
}

/** Runs a form's action with errors shown instead of thrown. */
function onSubmit(id: string, action: () => Promise<void>): void {
  $(id).addEventListener('submit', (event) => {
    event.preventDefault();
    action().catch(fail);
  });
}

const config = (await (await fetch('/config.json')).json()) as { apiBaseUrl: string };
const gatehouse = new GatehouseClient({ baseUrl: config.apiBaseUrl });
let tenant: TenantLookup | undefined;
let pendingStep: ChallengeStep | undefined;

async function findTenant(): Promise<void> {
  const slug = value('tenant-slug');
  try {
    tenant = await gatehouse.lookupTenant({ email: value('email') });
  } catch (error) {
    // No tenant owns this e-mail domain: fall back to the organisation the user typed.
    if (!(error instanceof GatehouseError) || error.code !== 'tenant_not_found' || !slug) throw error;
    tenant = await gatehouse.lookupTenant({ slug });
  }
  $('tenant-name').textContent = tenant.tenant.name;
  const buttons = $('sso-buttons');
  buttons.replaceChildren();
  for (const option of tenant.sso ?? []) {
    const button = document.createElement('button');
    button.type = 'button';
    button.textContent = `Sign in with ${option.name ?? option.identityProvider ?? hostOf(option.issuer ?? option.authorizationEndpoint) ?? option.kind}`;
    button.dataset['sso'] = option.kind;
    button.addEventListener('click', () => {
      const target = tenant!.tenant.slug;
      gatehouse
        .beginSso(option, { tenant: target, redirectUri: `${location.origin}/callback` })
        .then((url) => location.assign(url))
        .catch(fail);
    });
    buttons.append(button);
  }
  say(`Organisation: ${tenant.tenant.name}`);
  show('sign-in');
}

function hostOf(url: string | undefined): string | undefined {
  return url && URL.canParse(url) ? new URL(url).host : undefined;
}

async function after(step: SignInStep): Promise<void> {
  if (step.status === 'signed_in') return enterApp();
  pendingStep = step;
  const newPassword = step.challenge === 'NEW_PASSWORD_REQUIRED';
  $('challenge-label').textContent = newPassword ? 'New password' : 'Code from your authenticator app';
  $<HTMLInputElement>('challenge-answer').type = newPassword ? 'password' : 'text';
  $<HTMLInputElement>('challenge-answer').value = '';
  $('challenge-prompt').textContent =
    step.challenge === 'MFA_SETUP'
      ? 'Your organisation requires two-factor sign-in. Add this secret to your authenticator app, then enter its code.'
      : newPassword
        ? 'Choose a new password.'
        : 'Enter the code from your authenticator app.';
  $('mfa-secret').textContent = step.mfaSetup?.secretCode ?? '';
  show('challenge');
}

async function answer(): Promise<void> {
  const step = pendingStep!;
  const reply = step.challenge === 'NEW_PASSWORD_REQUIRED' ? { newPassword: value('challenge-answer') } : { code: value('challenge-answer') };
  try {
    await after(await gatehouse.answerChallenge(step, reply));
  } catch (error) {
    if (error instanceof ChallengeRetryError) pendingStep = error.retry;
    throw error;
  }
}

async function enterApp(): Promise<void> {
  const me = await gatehouse.request<{ user: { email: string }; tenant: { name: string } }>('/v1/me');
  $('signed-in-tenant').textContent = me.tenant.name;
  $('signed-in-email').textContent = me.user.email;
  say('Signed in');
  show('app');
  await listProjects();
}

async function listProjects(): Promise<void> {
  const page = await gatehouse.request<{ items: { id: string; name: string }[] }>('/v1/projects');
  $('projects').replaceChildren(
    ...page.items.map((project) => {
      const item = document.createElement('li');
      item.textContent = project.name;
      return item;
    }),
  );
}

onSubmit('find-form', findTenant);
onSubmit('password-form', async () => {
  await after(await gatehouse.signIn({ tenant: tenant!.tenant.slug, email: value('email'), password: value('password') }));
});
onSubmit('challenge-form', answer);
$('show-sign-up').addEventListener('click', () => show('sign-up'));
onSubmit('sign-up-form', async () => {
  await gatehouse.signUp({ tenant: tenant!.tenant.slug, email: value('email'), password: value('sign-up-password') });
  $('confirm-form').hidden = false;
  say('We sent you a confirmation code.');
});
onSubmit('confirm-form', async () => {
  await gatehouse.confirmSignUp({ tenant: tenant!.tenant.slug, email: value('email'), code: value('confirm-code') });
  $('confirm-form').hidden = true;
  say('Account confirmed: sign in with your new password.');
  show('sign-in');
});
onSubmit('project-form', async () => {
  await gatehouse.request('/v1/projects', { method: 'POST', body: JSON.stringify({ name: value('project-name') }) });
  $<HTMLInputElement>('project-name').value = '';
  await listProjects();
});
$('sign-out').addEventListener('click', () => {
  gatehouse
    .signOut()
    .then(() => {
      say('Signed out');
      show('find-tenant');
    })
    .catch(fail);
});

// Back from the identity provider: finish the code flow, then show the app.
if (location.pathname === '/callback') {
  const callback = location.href;
  // The code and state leave the address bar (and the history) at once.
  history.replaceState(null, '', '/');
  gatehouse.completeSso(callback).then(enterApp).catch(fail);
}
