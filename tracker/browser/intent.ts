import type { Properties } from './types.ts';

/** A product, in Segment's e-commerce spec names. */
export interface Product {
  product_id: string;
  sku?: string;
  name?: string;
  category?: string;
  brand?: string;
  variant?: string;
  price?: number;
  quantity?: number;
  currency?: string;
  coupon?: string;
  position?: number;
  url?: string;
  image_url?: string;
  [extra: string]: unknown;
}

/** An order or checkout, in Segment's e-commerce spec names. */
export interface Order {
  order_id?: string;
  checkout_id?: string;
  affiliation?: string;
  total?: number;
  subtotal?: number;
  revenue?: number;
  shipping?: number;
  tax?: number;
  discount?: number;
  coupon?: string;
  currency?: string;
  products?: Product[];
  [extra: string]: unknown;
}

/** B2B funnel events (Segment's B2B SaaS spec). */
export interface SignUp {
  type?: string;
  method?: string;
  plan?: string;
  [extra: string]: unknown;
}
export interface Trial {
  trial_plan_name?: string;
  trial_start_date?: string;
  trial_end_date?: string;
  [extra: string]: unknown;
}
export interface DemoRequest {
  company?: string;
  demo_type?: string;
  [extra: string]: unknown;
}
export interface FormSubmission {
  form_id: string;
  form_name?: string;
  [extra: string]: unknown;
}
export interface SurveyAnswer {
  survey_id: string;
  question: string;
  answer: string | number | boolean | string[];
  /** Also store the answer as this user trait (e.g. `role`, `company_size`), via identify. */
  trait?: string;
  [extra: string]: unknown;
}

/** Typed helpers for the intent events the scorer uses: each sends one spec-named track event. */
export interface IntentHelpers {
  productViewed: (product: Product) => void;
  productAdded: (product: Product & { cart_id?: string }) => void;
  checkoutStarted: (order: Order) => void;
  orderCompleted: (order: Order & { order_id: string }) => void;
  signedUp: (props?: SignUp) => void;
  trialStarted: (props?: Trial) => void;
  demoRequested: (props?: DemoRequest) => void;
  formSubmitted: (props: FormSubmission) => void;
  /** `Survey Answered`, and with `trait` the answer as a user trait too. */
  surveyAnswered: (answer: SurveyAnswer) => void;
}

export const INTENT_EVENTS = {
  productViewed: 'Product Viewed',
  productAdded: 'Product Added',
  checkoutStarted: 'Checkout Started',
  orderCompleted: 'Order Completed',
  signedUp: 'Signed Up',
  trialStarted: 'Trial Started',
  demoRequested: 'Demo Requested',
  formSubmitted: 'Form Submitted',
} as const;

export const isIntentHelper = (name: string): name is keyof IntentHelpers => name === 'surveyAnswered' || name in INTENT_EVENTS;

interface Sender {
  track: (event: string, properties?: Properties) => void;
  identifyTraits: (traits: Properties) => void;
}

export function intentHelpers(send: Sender): IntentHelpers {
  const helper = (event: string) => (props?: Properties) => send.track(event, props ?? {});
  return {
    productViewed: helper(INTENT_EVENTS.productViewed),
    productAdded: helper(INTENT_EVENTS.productAdded),
    checkoutStarted: helper(INTENT_EVENTS.checkoutStarted),
    orderCompleted: helper(INTENT_EVENTS.orderCompleted),
    signedUp: helper(INTENT_EVENTS.signedUp),
    trialStarted: helper(INTENT_EVENTS.trialStarted),
    demoRequested: helper(INTENT_EVENTS.demoRequested),
    formSubmitted: helper(INTENT_EVENTS.formSubmitted),
    surveyAnswered: ({ trait, ...answer }) => {
      send.track('Survey Answered', answer);
      if (trait) send.identifyTraits({ [trait]: answer.answer });
    },
  };
}
