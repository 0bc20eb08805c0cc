import { useEffect, useState, type ReactNode } from 'react';
import { errorMessage, fetchSession, signInUrl, signOut, startSession, type SessionInfo } from './api';
import { AuditPage } from './pages/Audit';
import { ApiKeysPage } from './pages/ApiKeys';
import { ModelsPage } from './pages/Models';
import { OAuthClientsPage } from './pages/OAuthClients';
import { OverviewPage } from './pages/Overview';
import { UsagePage } from './pages/Usage';
import { Link, Router, useRouter } from './router';
import { SessionContext } from './session';

interface PageDef {
  path: string;
  label: string;
  /** Any one of these scopes shows the page. */
  scopes: string[];
  render: () => ReactNode;
}

const PAGES: PageDef[] = [
  { path: '/', label: 'Overview', scopes: ['usage:admin'], render: () => <OverviewPage /> },
  { path: '/models', label: 'Models', scopes: ['models:read', 'models:manage'], render: () => <ModelsPage /> },
  { path: '/api-keys', label: 'API keys', scopes: ['keys:manage'], render: () => <ApiKeysPage /> },
  { path: '/oauth-clients', label: 'OAuth clients', scopes: ['clients:manage'], render: () => <OAuthClientsPage /> },
  { path: '/usage', label: 'Usage', scopes: ['usage:admin'], render: () => <UsagePage /> },
  { path: '/audit', label: 'Audit log', scopes: ['audit:read'], render: () => <AuditPage /> },
];

type State =
  | { kind: 'loading' }
  | { kind: 'signed-in'; session: SessionInfo }
  | { kind: 'signed-out'; reason: string }
  | { kind: 'error'; message: string };

export function App() {
  const [state, setState] = useState<State>({ kind: 'loading' });
  useEffect(() => {
    fetchSession().then(
      (session) => {
        if (!session) {
          // No session: off to the organisation's sign-in, back to this page afterwards.
          window.location.assign(signInUrl());
          return;
        }
        startSession(session, () => setState({ kind: 'signed-out', reason: 'Your session has ended.' }));
        setState({ kind: 'signed-in', session });
      },
      (error: unknown) => setState({ kind: 'error', message: errorMessage(error) }),
    );
  }, []);

  switch (state.kind) {
    case 'loading':
      return (
        <main id="main" className="centered">
          <p role="status">Checking your session…</p>
        </main>
      );
    case 'error':
      return (
        <main id="main" className="centered">
          <h1>Modelgate console</h1>
          <p role="alert" className="error">
            The console could not reach the platform: {state.message}
          </p>
          <button type="button" onClick={() => window.location.reload()}>
            Try again
          </button>
        </main>
      );
    case 'signed-out':
      return (
        <main id="main" className="centered">
          <h1>Modelgate console</h1>
          <p role="status">{state.reason}</p>
          <a className="button primary" href={signInUrl('/console')}>
            Sign in
          </a>
        </main>
      );
    case 'signed-in':
      return (
        <SessionContext.Provider value={state.session}>
          <Router>
            <Shell
              session={state.session}
              onSignedOut={() => setState({ kind: 'signed-out', reason: 'You have signed out.' })}
            />
          </Router>
        </SessionContext.Provider>
      );
  }
}

function Shell({ session, onSignedOut }: { session: SessionInfo; onSignedOut: () => void }) {
  const { path } = useRouter();
  const [menuOpen, setMenuOpen] = useState(false);
  const [signOutError, setSignOutError] = useState<string>();
  const pages = PAGES.filter((page) => page.scopes.some((scope) => session.scopes.includes(scope)));
  const page = PAGES.find((candidate) => candidate.path === path);
  const allowed = page && pages.includes(page);

  useEffect(() => {
    setMenuOpen(false);
    document.title = `${page?.label ?? 'Not found'} · Modelgate console`;
    // Move focus to the new page's heading, as a page load would, so screen readers announce it.
    document.querySelector<HTMLElement>('main h1')?.focus();
  }, [path, page]);

  const doSignOut = async () => {
    try {
      await signOut();
      onSignedOut();
    } catch (error) {
      setSignOutError(errorMessage(error));
    }
  };

  return (
    <div className="layout">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Modelgate</span>
        <button
          type="button"
          className="menu-toggle"
          aria-expanded={menuOpen}
          aria-controls="primary-nav"
          onClick={() => setMenuOpen(!menuOpen)}
        >
          Menu
        </button>
        <div className="user">
          <span className="user-name" title={session.user.email}>
            Signed in as <strong>{session.user.name || session.user.email}</strong>
          </span>
          <button type="button" onClick={() => void doSignOut()}>
            Sign out
          </button>
        </div>
      </header>
      {signOutError && (
        <p role="alert" className="error banner">
          Could not sign out: {signOutError}
        </p>
      )}
      <nav id="primary-nav" aria-label="Console" className={menuOpen ? 'open' : undefined}>
        <ul>
          {pages.map((item) => (
            <li key={item.path}>
              <Link to={item.path}>{item.label}</Link>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        {allowed ? (
          page.render()
        ) : page ? (
          <>
            <h1 tabIndex={-1}>{page.label}</h1>
            <p>Your session does not hold the scope this page needs ({page.scopes.join(' or ')}).</p>
          </>
        ) : (
          <>
            <h1 tabIndex={-1}>Page not found</h1>
            <p>
              There is no console page at this address. <Link to={pages[0]?.path ?? '/'}>Go to the console</Link>.
            </p>
          </>
        )}
      </main>
    </div>
  );
}
