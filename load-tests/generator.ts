/**
 * Synthetic, reproducible traffic of a B2B SaaS site (the one `scoring/models/b2b-saas.yaml` scores),
 * shared by the benchmarks, the ClickHouse seeder (load-tests/seed.ts) and the dashboards' tests.
 *
 * Each user has a persona (researcher, buyer, candidate, churner, visitor) that sets how often they
 * come back, which pages they read and which intent steps they take (pricing repeats, demo, trial,
 * contact-sales form, invites, activation, webinar, unsubscribe, and the {@link CONVERSION_EVENT}).
 * Users browse anonymously, identify themselves (with a group call for their company) when they fill
 * in a form, and carry their userId from then on, as analytics.js does.
 *
 * Pure TypeScript (no `node:` imports) and lazy: events come out user by user, in time order per
 * user, so 10M events never sit in memory. User `i` depends only on `(seed, i)` and the options, so
 * a run with more users extends a smaller one; messageIds come from the PRNG too.
 */

/** mulberry32: a tiny, fast, seedable PRNG (uniform in [0, 1)). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const pick = <T>(rand: Rand, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
const word = (rand: Rand) => Math.floor(rand() * 0x1_0000_0000).toString(16).padStart(8, '0');

/** A version-4 UUID drawn from `rand` (four draws). */
export function uuidOf(rand: Rand): string {
  const [a, b, c, d] = [word(rand), word(rand), word(rand), word(rand)];
  const variant = (8 | (parseInt(c[0] as string, 16) & 3)).toString(16);
  return `${a}-${b.slice(0, 4)}-4${b.slice(5)}-${variant}${c.slice(1, 4)}-${c.slice(4)}${d}`;
}

/** Picks among `weights`' keys in proportion to their values. */
function weighted<K extends string>(rand: Rand, weights: Readonly<Partial<Record<K, number>>>): K {
  const entries = Object.entries(weights) as [K, number][];
  let r = rand() * entries.reduce((n, [, w]) => n + w, 0);
  for (const [k, w] of entries) if ((r -= w) < 0) return k;
  return (entries[entries.length - 1] as [K, number])[0];
}

/** Exponentially distributed with the given mean. */
const exp = (rand: Rand, mean: number) => -Math.log(1 - rand()) * mean;
const between = (rand: Rand, min: number, max: number) => min + Math.floor(rand() * (max - min + 1));

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The site's origin in page URLs. */
export const SITE = 'https://www.warmline.example';

/** The event name of a paid conversion; it carries a `revenue` number property (USD). */
export const CONVERSION_EVENT = 'Subscription Started';

/** Track event names the generator emits (intent steps the model scores, and plain clicks). */
export const EVENTS = {
  demoRequested: 'Demo Requested',
  trialStarted: 'Trial Started',
  formSubmitted: 'Form Submitted',
  inviteSent: 'Invite Sent',
  activated: 'Activated',
  webinarRegistered: 'Webinar Registered',
  unsubscribed: 'Unsubscribed',
  conversion: CONVERSION_EVENT,
  buttonClicked: 'Button Clicked',
  docsSearched: 'Docs Searched',
  videoPlayed: 'Video Played',
} as const;

/** `form` property of `Form Submitted`: `contact-sales` is the one the model scores. */
export const FORMS = { contactSales: 'contact-sales', newsletter: 'newsletter', jobApplication: 'job-application' } as const;

/** The site's pages by section; the paths match the page rules of scoring/models/b2b-saas.yaml. */
export const PAGES = {
  home: [{ path: '/', title: 'Warmline - Real-time intent scoring for B2B teams' }],
  pricing: [{ path: '/pricing', title: 'Pricing | Warmline' }],
  docs: [
    { path: '/docs/getting-started', title: 'Getting started - Warmline Docs' },
    { path: '/docs/tracking-api', title: 'Tracking API - Warmline Docs' },
    { path: '/docs/scoring-models', title: 'Scoring models - Warmline Docs' },
    { path: '/docs/webhooks', title: 'Webhooks - Warmline Docs' },
    { path: '/docs/self-hosting', title: 'Self-hosting - Warmline Docs' },
  ],
  customers: [
    { path: '/customers', title: 'Customers | Warmline' },
    { path: '/customers/northwind', title: 'How Northwind doubled pipeline | Warmline' },
    { path: '/customers/globex', title: 'Globex: hot leads in seconds | Warmline' },
    { path: '/customers/hooli', title: 'Hooli replaced batch scoring | Warmline' },
  ],
  integrations: [
    { path: '/integrations', title: 'Integrations | Warmline' },
    { path: '/integrations/salesforce', title: 'Salesforce integration | Warmline' },
    { path: '/integrations/hubspot', title: 'HubSpot integration | Warmline' },
    { path: '/integrations/slack', title: 'Slack integration | Warmline' },
    { path: '/integrations/segment', title: 'Segment integration | Warmline' },
  ],
  security: [{ path: '/security', title: 'Security & compliance | Warmline' }],
  careers: [
    { path: '/careers', title: 'Careers | Warmline' },
    { path: '/careers/backend-engineer', title: 'Senior Backend Engineer | Warmline Careers' },
    { path: '/careers/account-executive', title: 'Account Executive | Warmline Careers' },
  ],
  support: [{ path: '/support', title: 'Support | Warmline' }],
  blog: [
    { path: '/blog', title: 'Blog | Warmline' },
    { path: '/blog/intent-signals-that-matter', title: 'Intent signals that actually matter | Warmline Blog' },
    { path: '/blog/real-time-lead-scoring', title: 'Real-time lead scoring | Warmline Blog' },
    { path: '/blog/clickhouse-at-scale', title: 'ClickHouse at scale | Warmline Blog' },
  ],
  demo: [{ path: '/demo', title: 'Book a demo | Warmline' }],
  signup: [{ path: '/signup', title: 'Start your free trial | Warmline' }],
  webinars: [{ path: '/webinars/scoring-101', title: 'Webinar: Scoring 101 | Warmline' }],
  app: [
    { path: '/app', title: 'Dashboard - Warmline' },
    { path: '/app/onboarding', title: 'Onboarding - Warmline' },
    { path: '/app/settings/team', title: 'Team - Warmline' },
    { path: '/app/billing', title: 'Billing - Warmline' },
  ],
} as const;
export type Section = keyof typeof PAGES;
/** A page of the site. */
export interface Page {
  path: string;
  title: string;
}

export const PERSONAS = ['researcher', 'buyer', 'candidate', 'churner', 'visitor'] as const;
export type Persona = (typeof PERSONAS)[number];

/** How one persona behaves: visits, reading, and the chance of each intent step. */
interface PersonaSpec {
  share: number;
  sessions: readonly [min: number, max: number];
  /** Mean days between sessions (after the 30 minutes that end one). */
  gapDays: number;
  /** Mean page views per session. */
  pages: number;
  sections: Readonly<Partial<Record<Section, number>>>;
  /** Chance per session of comparing the plans (three pricing views in a row). */
  pricingRepeat: number;
  identify: number;
  trial: number;
  demo: number;
  contactSales: number;
  webinar: number;
  unsubscribe: number;
  /** Of those who start a trial. */
  activate: number;
  invite: number;
  convert: number;
  titles: readonly (readonly [title: string, seniority: string])[];
}

/** The persona mix and behaviour; `share`s sum to 1. */
export const PERSONA_SPECS: Readonly<Record<Persona, PersonaSpec>> = {
  researcher: {
    share: 0.3, sessions: [2, 8], gapDays: 5, pages: 4,
    sections: { home: 1, blog: 4, docs: 4, integrations: 1, customers: 1, pricing: 0.3, security: 0.3, support: 0.3 }, pricingRepeat: 0.02,
    identify: 0.35, trial: 0.15, demo: 0.05, contactSales: 0.03, webinar: 0.35, unsubscribe: 0.08, activate: 0.5, invite: 0.3, convert: 0.04,
    titles: [['Software Engineer', 'individual'], ['Data Analyst', 'individual'], ['Product Manager', 'manager'], ['Growth Marketer', 'individual'], ['Solutions Architect', 'individual']],
  },
  buyer: {
    share: 0.15, sessions: [4, 14], gapDays: 2, pages: 5,
    sections: { home: 1, pricing: 1.5, customers: 1.5, integrations: 1.5, docs: 1.5, security: 0.7, blog: 0.7, support: 0.3 }, pricingRepeat: 0.2,
    identify: 0.9, trial: 0.55, demo: 0.45, contactSales: 0.35, webinar: 0.15, unsubscribe: 0.03, activate: 0.65, invite: 0.5, convert: 0.4,
    titles: [['VP of Sales', 'vp'], ['Head of Growth', 'director'], ['Director of Marketing', 'director'], ['Revenue Operations Manager', 'manager'], ['CTO', 'c-level'], ['Founder & CEO', 'executive']],
  },
  candidate: {
    share: 0.1, sessions: [1, 4], gapDays: 3, pages: 3,
    sections: { careers: 5, home: 1, blog: 2, customers: 0.5 }, pricingRepeat: 0,
    identify: 0.08, trial: 0, demo: 0, contactSales: 0, webinar: 0, unsubscribe: 0, activate: 0, invite: 0, convert: 0,
    titles: [['Student', 'student'], ['Software Engineering Intern', 'student'], ['Backend Engineer', 'individual'], ['Account Executive', 'individual']],
  },
  churner: {
    share: 0.15, sessions: [2, 6], gapDays: 1.5, pages: 3,
    sections: { docs: 1.5, support: 1.5, pricing: 0.4, home: 1, blog: 0.5, app: 3 }, pricingRepeat: 0.02,
    identify: 0.95, trial: 0.9, demo: 0.1, contactSales: 0.05, webinar: 0.05, unsubscribe: 0.45, activate: 0.25, invite: 0.15, convert: 0.05,
    titles: [['Marketing Manager', 'manager'], ['Founder', 'executive'], ['Sales Representative', 'individual'], ['Growth Lead', 'manager']],
  },
  visitor: {
    share: 0.3, sessions: [1, 3], gapDays: 7, pages: 2.5,
    sections: { home: 3, blog: 4, pricing: 0.2, customers: 0.3 }, pricingRepeat: 0.01,
    identify: 0.05, trial: 0.03, demo: 0.01, contactSales: 0.01, webinar: 0.05, unsubscribe: 0.02, activate: 0.4, invite: 0.2, convert: 0.01,
    titles: [['Consultant', 'individual'], ['Marketing Specialist', 'individual'], ['Student', 'student'], ['Engineer', 'individual']],
  },
};

/** Paid plans: what a conversion's `plan` and `revenue` (first-year value, USD) come from. */
export const PLANS = { starter: 588, growth: 3_588, enterprise: 24_000 } as const;

export const USER_AGENTS = [
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.71 Mobile Safari/537.36',
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36',
] as const;
export const LOCALES = ['en-US', 'en-GB', 'de-DE', 'fr-FR', 'es-ES', 'nl-NL', 'pt-BR'] as const;
export const TIMEZONES = ['America/New_York', 'America/Los_Angeles', 'Europe/London', 'Europe/Berlin', 'Europe/Paris', 'America/Sao_Paulo'] as const;
/** Where a session comes from ('' is direct traffic). */
export const REFERRERS = ['', 'https://www.google.com/', 'https://www.linkedin.com/', 'https://news.ycombinator.com/', 'https://duckduckgo.com/'] as const;
export const LIBRARY = { name: 'analytics.js', version: 'npm:next-1.72.0' } as const;

const COUNTRIES = { US: 30, GB: 10, DE: 9, FR: 6, CA: 5, NL: 4, SE: 2, AU: 3, IN: 10, BR: 6, ES: 4, JP: 3 } as const;
export const INDUSTRIES = ['Software', 'SaaS', 'Fintech', 'E-commerce', 'Financial Services', 'Healthcare', 'Education', 'Manufacturing', 'Media', 'Consulting'] as const;
const NAME_A = ['North', 'Blue', 'Bright', 'Iron', 'Silver', 'Green', 'Rapid', 'Clear', 'Summit', 'Harbor', 'Quantum', 'Atlas'] as const;
const NAME_B = ['wind', 'stone', 'field', 'path', 'wave', 'leaf', 'bridge', 'point', 'forge', 'line', 'scale', 'works'] as const;
const NAME_C = ['Labs', 'Systems', 'Analytics', 'Group', 'Software', 'Health', 'Capital', 'Commerce'] as const;
const FIRST = ['alex', 'sam', 'maria', 'li', 'noah', 'emma', 'omar', 'julia', 'ken', 'priya', 'lucas', 'sofia'] as const;
const LAST = ['smith', 'garcia', 'chen', 'muller', 'rossi', 'kim', 'silva', 'novak', 'patel', 'dubois'] as const;
const FREE_MAIL = ['gmail.com', 'yahoo.com', 'outlook.com', 'hotmail.com'] as const;
/** First octets of the synthetic client addresses (the collector keeps their /24). */
const IP_BLOCKS = [23, 31, 45, 51, 62, 77, 81, 92, 104, 142, 151, 172, 185, 203] as const;

/** Companies users work at (a fixed pool, so user `i` does not depend on how many users there are). */
const COMPANIES = 5_000;

interface Company {
  id: string;
  name: string;
  domain: string;
  industry: string;
  employees: number;
}

/** Employees, log-uniform within a size bucket: 1-9, 10-49, 50-249, 250-999, 1000-20000. */
function employeesOf(rand: Rand): number {
  const [lo, hi] = pick(rand, [[1, 9], [10, 49], [10, 49], [50, 249], [50, 249], [250, 999], [1000, 20_000]] as const);
  return Math.round(Math.exp(Math.log(lo) + rand() * (Math.log(hi) - Math.log(lo))));
}

function companies(seed: number, n: number): Company[] {
  const rand = prng(mix(seed, 0x0c0ffee));
  return Array.from({ length: n }, (_, i) => {
    const name = `${pick(rand, NAME_A)}${pick(rand, NAME_B)} ${pick(rand, NAME_C)}`;
    return {
      id: `grp_${i.toString(36)}`,
      name,
      domain: `${name.toLowerCase().replace(/[^a-z]+/g, '')}${i}.example`,
      industry: pick(rand, INDUSTRIES),
      employees: employeesOf(rand),
    };
  });
}

/** A 32-bit hash of (seed, i): each user's own PRNG stream. */
function mix(seed: number, i: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(i + 1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

export interface GenerateOptions {
  seed: number;
  users: number;
  /** Length of the window the events fall in. */
  days: number;
  /** Start of the window (epoch ms); default: UTC midnight `days` days ago, so every event is in the past. */
  start?: number;
}

/** The page an event happened on (`context.page`; page events also carry it as properties). */
export interface PageContext {
  path: string;
  url: string;
  title: string;
  referrer: string;
  search: string;
}

/** One generated event: a Segment-spec call the collector accepts as is (schema/events.ts). */
export interface GeneratedEvent {
  type: 'page' | 'track' | 'identify' | 'group';
  messageId: string;
  anonymousId: string;
  /** Set from the identify call on. */
  userId?: string;
  /** ISO-8601 UTC. */
  timestamp: string;
  /** Track event name. */
  event?: string;
  /** Page name. */
  name?: string;
  groupId?: string;
  properties?: Record<string, unknown>;
  traits?: Record<string, unknown>;
  context: {
    page: PageContext;
    userAgent: string;
    library: typeof LIBRARY;
    locale: string;
    timezone: string;
    ip: string;
    campaign?: { source: string; medium: string; name: string };
  };
  integrations: Record<string, never>;
}

/** A generated user: who they are and what they ended up doing (for tests and dashboards). */
export interface SyntheticUser {
  index: number;
  persona: Persona;
  anonymousId: string;
  /** The id they identified with; null when they never did. */
  userId: string | null;
  /** Revenue of their {@link CONVERSION_EVENT}; null when they did not convert (within the window). */
  revenue: number | null;
}

/** The window `generate` uses for `opts`: [start, end) in epoch ms. */
export function windowOf(opts: Pick<GenerateOptions, 'days' | 'start'>, now = Date.now()): { start: number; end: number } {
  const start = opts.start ?? Math.floor(now / DAY) * DAY - opts.days * DAY;
  return { start, end: start + opts.days * DAY };
}

/**
 * Users one at a time, each with all their events in time order.
 * @example for (const { user, events } of generateUsers({ seed: 1, users: 100, days: 7 })) console.log(user.persona, events.length);
 */
export function* generateUsers(opts: GenerateOptions): Generator<{ user: SyntheticUser; events: GeneratedEvent[] }> {
  const window = windowOf(opts);
  const firms = companies(opts.seed, COMPANIES);
  for (let i = 0; i < opts.users; i++) yield userOf(opts.seed, i, window, firms);
}

/**
 * Every user's events, user after user, each user's in time order (not sorted globally).
 * @example for (const e of generate({ seed: 1, users: 1_000, days: 30 })) send(e);
 */
export function* generate(opts: GenerateOptions): Generator<GeneratedEvent> {
  for (const { events } of generateUsers(opts)) yield* events;
}

/** The intent steps a user takes, decided up front so they can be ordered over the sessions. */
interface Plan {
  identifyAt: number;
  steps: Map<number, Step[]>;
}
type Step = 'trial' | 'demo' | 'contact' | 'webinar' | 'activate' | 'invite' | 'convert' | 'unsubscribe' | 'pricing-repeat';

function planOf(rand: Rand, spec: PersonaSpec, sessions: number): Plan {
  const steps = new Map<number, Step[]>();
  const at = (session: number, step: Step) => {
    const s = Math.min(sessions - 1, session);
    steps.set(s, [...(steps.get(s) ?? []), step]);
  };
  const later = (from: number) => from + Math.floor(rand() * (sessions - from));
  // Forms come after some browsing: from the second session on when there is one.
  const intentFrom = sessions > 1 ? 1 + Math.floor(rand() * Math.min(2, sessions - 1)) : 0;
  const wants = { trial: rand() < spec.trial, demo: rand() < spec.demo, contact: rand() < spec.contactSales, webinar: rand() < spec.webinar };
  const converts = rand() < spec.convert;
  const identifies = converts || Object.values(wants).some(Boolean) || rand() < spec.identify;
  const identifyAt = identifies ? intentFrom : -1;
  if (!identifies) return { identifyAt, steps };
  const trialAt = later(identifyAt);
  if (wants.webinar) at(identifyAt, 'webinar');
  if (wants.demo) at(later(identifyAt), 'demo');
  if (wants.contact) at(later(identifyAt), 'contact');
  if (wants.trial) {
    at(trialAt, 'trial');
    if (rand() < spec.activate) at(later(trialAt), 'activate');
    if (rand() < spec.invite) at(later(trialAt), 'invite');
  }
  if (converts) at(Math.min(sessions - 1, later(trialAt) + 1), 'convert');
  if (rand() < spec.unsubscribe) at(later(identifyAt), 'unsubscribe');
  for (let s = 0; s < sessions; s++) if (rand() < spec.pricingRepeat) at(s, 'pricing-repeat');
  return { identifyAt, steps };
}

/** One user's events. */
function userOf(seed: number, index: number, window: { start: number; end: number }, firms: readonly Company[]): { user: SyntheticUser; events: GeneratedEvent[] } {
  const rand = prng(mix(seed, index));
  const persona = weighted(rand, Object.fromEntries(PERSONAS.map((p) => [p, PERSONA_SPECS[p].share])) as Record<Persona, number>);
  const spec = PERSONA_SPECS[persona];
  const user: SyntheticUser = { index, persona, anonymousId: uuidOf(rand), userId: null, revenue: null };
  const userId = `usr_${word(rand)}${word(rand).slice(0, 4)}`;
  const company = pick(rand, firms);
  const [title, seniority] = pick(rand, spec.titles);
  const first = pick(rand, FIRST);
  const last = pick(rand, LAST);
  const email = `${first}.${last}${index}@${rand() < 0.15 ? pick(rand, FREE_MAIL) : company.domain}`;
  const country = weighted(rand, COUNTRIES);
  const device = { userAgent: pick(rand, USER_AGENTS), locale: pick(rand, LOCALES), timezone: pick(rand, TIMEZONES) };
  const ip = `${pick(rand, IP_BLOCKS)}.${between(rand, 0, 255)}.${between(rand, 0, 255)}.${between(rand, 1, 254)}`;
  const sessions = between(rand, spec.sessions[0], spec.sessions[1]);
  const plan = planOf(rand, spec, sessions);

  const events: GeneratedEvent[] = [];
  let identified = false;
  let referrer = '';
  let page: PageContext = pageContext(PAGES.home[0], '', '');
  // First visits arrive all along the window, weighted towards (UTC) working hours.
  let t = window.start + Math.floor(rand() * (window.end - window.start) / DAY) * DAY + (7 + exp(rand, 4) + rand() * 8) * HOUR;

  const emit = (type: GeneratedEvent['type'], fields: Partial<GeneratedEvent>) => {
    const e: GeneratedEvent = {
      type,
      messageId: uuidOf(rand),
      anonymousId: user.anonymousId,
      ...(identified ? { userId } : {}),
      timestamp: new Date(Math.floor(t)).toISOString(),
      ...fields,
      context: { page, ...device, library: LIBRARY, ip, ...(page.search ? { campaign: CAMPAIGN } : {}) },
      integrations: {},
    };
    events.push(e);
  };
  const view = (p: Page, search = '') => {
    t += 5_000 + Math.min(exp(rand, 60_000), 20 * MINUTE);
    page = pageContext(p, referrer, search);
    referrer = page.url;
    emit('page', { name: p.title, properties: { ...page } });
  };
  const track = (event: string, properties: Record<string, unknown>) => {
    t += 2_000 + rand() * 30_000;
    emit('track', { event, properties });
  };
  const identify = (traits: Record<string, unknown>) => {
    identified = true;
    user.userId = userId;
    t += 500 + rand() * 2_000;
    emit('identify', { traits });
  };

  for (let s = 0; s < sessions && t < window.end; s++) {
    referrer = pick(rand, REFERRERS);
    const search = referrer && rand() < 0.2 ? `?utm_source=${pick(rand, ['google', 'linkedin', 'newsletter'])}&utm_medium=cpc&utm_campaign=q3-launch` : '';
    const pages = 1 + Math.floor(exp(rand, spec.pages - 1));
    for (let n = 0; n < pages; n++) {
      const section = n === 0 && !search && rand() < 0.4 ? 'home' : weighted(rand, spec.sections);
      view(pick<Page>(rand, PAGES[section]), n === 0 ? search : '');
      if (rand() < 0.25) clickOn(section, track, rand);
    }
    const steps = plan.steps.get(s) ?? [];
    if (s === plan.identifyAt && !identified) {
      // The first form they fill in is where they tell us who they are (a webinar, a trial or demo, else the newsletter).
      const form: Page = steps.includes('webinar') ? PAGES.webinars[0] : steps.includes('trial') ? PAGES.signup[0] : steps.includes('demo') ? PAGES.demo[0] : PAGES.blog[0];
      view(form);
      identify({ email, firstName: cap(first), lastName: cap(last), title, seniority, country, company: company.name, plan: 'free' });
      t += 300 + rand() * 1_000;
      emit('group', { groupId: company.id, traits: { name: company.name, industry: company.industry, employees: company.employees, website: `https://${company.domain}` } });
      if (form === PAGES.blog[0]) track(EVENTS.formSubmitted, { form: persona === 'candidate' ? FORMS.jobApplication : FORMS.newsletter });
    }
    for (const step of steps) {
      switch (step) {
        case 'pricing-repeat':
          for (const p of ['starter', 'growth', 'enterprise']) view(PAGES.pricing[0], `?plan=${p}`);
          break;
        case 'webinar':
          if (page.path !== PAGES.webinars[0].path) view(PAGES.webinars[0]);
          track(EVENTS.webinarRegistered, { webinar: 'scoring-101' });
          break;
        case 'demo':
          view(PAGES.demo[0]);
          track(EVENTS.demoRequested, { source: 'demo-page', teamSize: company.employees });
          break;
        case 'contact':
          view(PAGES.pricing[0]);
          track(EVENTS.formSubmitted, { form: FORMS.contactSales, plan: 'enterprise' });
          break;
        case 'trial':
          view(PAGES.signup[0]);
          track(EVENTS.trialStarted, { plan: 'trial', trialDays: 14 });
          view(PAGES.app[1]);
          break;
        case 'activate':
          view(PAGES.app[0]);
          track(EVENTS.activated, { milestone: 'first-signal' });
          break;
        case 'invite':
          view(PAGES.app[2]);
          track(EVENTS.inviteSent, { role: pick(rand, ['admin', 'member']) });
          break;
        case 'convert': {
          const [paid, price] = pick(rand, Object.entries(PLANS));
          const revenue = Math.round(price * (1 + Math.floor(exp(rand, 1.5))));
          view(PAGES.app[3]);
          track(CONVERSION_EVENT, { plan: paid, revenue, currency: 'USD', billing: 'annual' });
          identify({ email, plan: paid });
          user.revenue = revenue;
          break;
        }
        case 'unsubscribe':
          track(EVENTS.unsubscribed, { list: 'newsletter' });
          break;
      }
    }
    // 30 minutes of silence end a session; the next comes hours or days later.
    t += 31 * MINUTE + exp(rand, spec.gapDays * DAY);
  }
  // A session that ran past the window's end is cut there.
  let keep = events.length;
  while (keep > 0 && Date.parse((events[keep - 1] as GeneratedEvent).timestamp) >= window.end) keep--;
  if (keep < events.length) {
    events.length = keep;
    if (!events.some((e) => e.type === 'identify')) user.userId = null;
    if (!events.some((e) => e.event === CONVERSION_EVENT)) user.revenue = null;
  }
  return { user, events };
}

const CAMPAIGN = { source: 'google', medium: 'cpc', name: 'q3-launch' };
const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function pageContext(p: Page, referrer: string, search: string): PageContext {
  return { path: p.path, url: `${SITE}${p.path}${search}`, title: p.title, referrer, search };
}

/** A click on the page just viewed: the kind of event that is volume, not intent. */
function clickOn(section: Section, track: (event: string, properties: Record<string, unknown>) => void, rand: Rand): void {
  if (section === 'docs') track(EVENTS.docsSearched, { query: pick(rand, ['webhooks', 'decay', 'segments', 'identify', 'batch api']) });
  else if (section === 'customers' || section === 'webinars') track(EVENTS.videoPlayed, { video: 'customer-story', seconds: Math.round(rand() * 180) });
  else track(EVENTS.buttonClicked, { label: pick(rand, ['Get started', 'Talk to sales', 'Read more', 'Docs']), section: pick(rand, ['hero', 'nav', 'footer', 'pricing-table']) });
}
