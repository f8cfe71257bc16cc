// The storefront's entry point: starts the router, the search box, the clickstream and the consent banner.

import { onAuthChange, signedIn } from './api.js';
import { toast } from './dom.js';
import { onRoute, startRouter } from './router.js';
import { answerBanner, needsConsentAnswer, refreshCartBadge } from './session.js';
import { setSearchText, startSuggest } from './suggest.js';
import { consent, startTracking, track } from './track.js';

function showBanner(show) {
  document.getElementById('consent-banner').hidden = !show;
}

function startConsentBanner() {
  const banner = document.getElementById('consent-banner');
  banner.addEventListener('click', async (event) => {
    const choice = event.target.closest('[data-consent]')?.dataset.consent;
    if (!choice) return;
    showBanner(false);
    try {
      await answerBanner(choice === 'granted');
      toast(choice === 'granted' ? 'Thank you — your visits now shape your picks.' : 'Understood: nothing is recorded.');
    } catch {
      toast('Your choice is kept in this browser; the account could not be updated.', 'error');
    }
  });
  document.getElementById('privacy-settings').addEventListener('click', () => {
    showBanner(true);
    banner.querySelector(`[data-consent="${consent() === 'granted' ? 'denied' : 'granted'}"]`).focus();
  });
  showBanner(needsConsentAnswer());
}

function reflectAuth(isSignedIn) {
  document.getElementById('nav-account').textContent = isSignedIn ? 'Account' : 'Sign in';
  refreshCartBadge();
}

function markNav(name) {
  for (const link of document.querySelectorAll('[data-nav]')) {
    const here = link.dataset.nav === name || (name === 'quiz' && link.dataset.nav === 'account');
    if (here) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

function start() {
  document.querySelector('[data-skip]').addEventListener('click', (event) => {
    event.preventDefault();
    document.getElementById('main').focus();
  });
  startTracking();
  startSuggest();
  startConsentBanner();
  onAuthChange(reflectAuth);
  reflectAuth(signedIn());
  onRoute((name, params) => {
    markNav(name);
    setSearchText(name === 'search' ? params.get('q') : '');
    track('page_viewed', { surface: name });
  });
  startRouter();
}

start();
