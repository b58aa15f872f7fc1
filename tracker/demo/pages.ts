/**
 * The demo site served at `/demo/` by `warmline start`: a small fake SaaS shop that embeds the
 * snippet and uses every part of the tracker, with a panel listing each request the tracker sends.
 */

export const PRODUCTS = [
  { id: '1', name: 'Warm Widget', price: 19, category: 'Widgets' },
  { id: '2', name: 'Lead Lamp', price: 49, category: 'Lighting' },
  { id: '3', name: 'Insight Kit', price: 99, category: 'Analytics' },
] as const;

const escape = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

const STYLE = `
*{box-sizing:border-box}body{margin:0;font:15px/1.5 system-ui,sans-serif;color:#1d2330;background:#f6f7fb}
header{display:flex;gap:18px;align-items:center;padding:14px 28px;background:#1d2330;color:#fff}
header a{color:#cfd6ea;text-decoration:none}header b{color:#ff8a3d;font-size:18px;margin-right:12px}
main{display:grid;grid-template-columns:1fr 360px;gap:24px;padding:24px 28px}
.card{background:#fff;border-radius:10px;padding:18px 22px;box-shadow:0 1px 3px #0001;margin-bottom:18px}
button{background:#ff8a3d;border:0;color:#fff;padding:8px 14px;border-radius:6px;font-size:14px;cursor:pointer;margin:4px 6px 4px 0}
button.ghost{background:#e6e9f2;color:#1d2330}input,select{padding:7px;border:1px solid #cfd6ea;border-radius:6px;width:100%;margin:3px 0 10px}
.grid{display:grid;grid-template-columns:repeat(3,1fr);gap:14px}.muted{color:#6b7385;font-size:13px}
#log{font:12px/1.6 ui-monospace,monospace;max-height:420px;overflow:auto}#log div{border-bottom:1px solid #eef0f5;padding:2px 0}
.ok{color:#1a8d4a}.err{color:#c0392b}pre{white-space:pre-wrap;word-break:break-all;font-size:11px;background:#f0f2f8;padding:10px;border-radius:6px}
nav.tabs a{margin-right:14px}`;

/** Logs each request the tracker sends (type, name, status) in the side panel. Demo only. */
const LOG_SCRIPT = `
(function(){var f=window.fetch,log=function(t,c){var d=document.createElement('div');d.className=c||'';d.textContent=new Date().toLocaleTimeString()+'  '+t;
var l=document.getElementById('log');l.insertBefore(d,l.firstChild)};
window.fetch=function(u,o){var url=String(u);if(url.indexOf('/v1/')<0)return f.apply(this,arguments);
var e={};try{e=JSON.parse(o&&o.body||'{}')}catch(_){}var what=e.type+' '+(e.event||e.name||e.userId||e.groupId||(e.properties&&e.properties.path)||'');
return f.apply(this,arguments).then(function(r){log(what+' → '+r.status,r.ok?'ok':'err');return r},function(err){log(what+' → offline, queued','err');throw err})}})();`;

function layout(title: string, body: string, snippet: string, script = ''): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escape(title)} · Acme Warm Co. (Warmline demo)</title><style>${STYLE}</style>
<script>${LOG_SCRIPT}</script>
${snippet}
</head><body>
<header><b>Acme Warm Co.</b><a href="/demo/">Home</a><a href="/demo/products/1">Shop</a><a href="/demo/signup">Sign up</a><a href="/demo/app/">App (SPA)</a></header>
<main><div>${body}</div>
<aside><div class="card"><h3>Sent by the tracker</h3><div id="log" class="muted"></div></div>
<div class="card"><h3>Privacy</h3><p class="muted">Consent: <span id="consent"></span></p>
<button class="ghost" id="grant" onclick="warmline.consent.grant();showConsent()">Grant</button>
<button class="ghost" id="deny" onclick="warmline.consent.deny();showConsent()">Opt out</button>
<button class="ghost" id="logout" onclick="warmline.reset()">Log out (reset)</button></div></aside></main>
<script>function showConsent(){var c=warmline.consent.status;document.getElementById('consent').textContent=c?c():'loading…'}
warmline.ready?warmline.ready(showConsent):0;setTimeout(showConsent,300);${script}</script>
</body></html>`;
}

function home(snippet: string): string {
  const cards = PRODUCTS.map(
    (p) => `<div class="card"><h3>${p.name}</h3><p class="muted">${p.category} · $${p.price}</p><a href="/demo/products/${p.id}">View</a></div>`,
  ).join('');
  return layout(
    'Home',
    `<div class="card"><h1>Warm leads, delivered.</h1><p>A fake shop and SaaS that embeds the Warmline snippet. Every click here
is an event in your Warmline: open <code>/api/profiles/&lt;userId&gt;/events</code> with the dev secret key to see them.</p>
<button id="demo-request" onclick="warmline.demoRequested({company:'Acme Corp',demo_type:'live'})">Request a demo</button>
<button class="ghost" id="survey" onclick="warmline.surveyAnswered({survey_id:'role',question:'What is your role?',answer:'Engineer',trait:'role'})">Answer survey: Engineer</button></div>
<div class="grid">${cards}</div>
<div class="card"><h3>This page embeds</h3><pre>${escape(snippet)}</pre></div>`,
    snippet,
  );
}

function product(id: string, snippet: string): string | undefined {
  const p = PRODUCTS.find((x) => x.id === id);
  if (!p) return undefined;
  const props = JSON.stringify({ product_id: p.id, name: p.name, price: p.price, category: p.category, currency: 'USD' });
  return layout(
    p.name,
    `<div class="card"><h1>${p.name}</h1><p class="muted">${p.category}</p><p>$${p.price}</p>
<button id="add" onclick='warmline.productAdded(Object.assign(${props},{quantity:1}))'>Add to cart</button>
<button class="ghost" id="checkout" onclick='warmline.checkoutStarted({currency:"USD",total:${p.price},products:[${props}]});location.href="/demo/checkout?p=${p.id}"'>Checkout</button></div>`,
    snippet,
    `warmline.productViewed(${props});`,
  );
}

function checkout(snippet: string): string {
  return layout(
    'Checkout',
    `<div class="card"><h1>Checkout</h1><button id="pay" onclick='var p=new URLSearchParams(location.search).get("p")||"1";
warmline.orderCompleted({order_id:"ord-"+Date.now(),currency:"USD",products:[{product_id:p}]});this.textContent="Paid — thank you!"'>Pay now</button></div>`,
    snippet,
  );
}

function signup(snippet: string): string {
  return layout(
    'Sign up',
    `<div class="card"><h1>Start your trial</h1><form id="signup">
<label>Work email<input name="email" type="email" value="ada@acme.test" required></label>
<label>Company<input name="company" value="Acme Corp" required></label>
<label>Role<select name="role"><option>Engineer</option><option>Head of Sales</option><option>Founder</option></select></label>
<button id="submit">Start free trial</button></form></div>`,
    snippet,
    `document.getElementById('signup').addEventListener('submit',function(e){e.preventDefault();var f=new FormData(e.target);
var email=String(f.get('email')),company=String(f.get('company')),userId='demo-'+email.split('@')[0],groupId='acct-'+company.toLowerCase().replace(/[^a-z0-9]+/g,'-');
warmline.formSubmitted({form_id:'signup',form_name:'Trial sign-up'});
warmline.identify(userId,{email:email,company:company,role:f.get('role')});
warmline.group(groupId,{name:company,plan:'trial'});
warmline.signedUp({method:'email',plan:'trial'});warmline.trialStarted({trial_plan_name:'Pro'});
location.href='/demo/app/';});`,
  );
}

/** One HTML shell for every `/demo/app/…` route; tabs switch with history.pushState (an SPA). */
function app(snippet: string): string {
  return layout(
    'App',
    `<div class="card"><nav class="tabs"><a href="/demo/app/" data-route>Dashboard</a><a href="/demo/app/reports" data-route>Reports</a>
<a href="/demo/app/settings" data-route>Settings</a></nav><h1 id="view"></h1><p class="muted">Client-side routes: each tab is a page view through the history API.</p></div>`,
    snippet,
    `function render(){var v=location.pathname.split('/')[3]||'dashboard';document.getElementById('view').textContent=v[0].toUpperCase()+v.slice(1);document.title=v+' · App'}
document.querySelectorAll('[data-route]').forEach(function(a){a.addEventListener('click',function(e){e.preventDefault();history.pushState({},'',a.getAttribute('href'));render()})});
window.addEventListener('popstate',render);render();`,
  );
}

/** The demo page at `path` (below `/demo`), or undefined for an unknown path. */
export function demoPage(path: string, snippet: string): string | undefined {
  if (path === '/' || path === '') return home(snippet);
  const productMatch = /^\/products\/([0-9]+)$/.exec(path);
  if (productMatch) return product(productMatch[1]!, snippet);
  if (path === '/checkout') return checkout(snippet);
  if (path === '/signup') return signup(snippet);
  if (path === '/app' || path.startsWith('/app/')) return app(snippet);
  return undefined;
}
