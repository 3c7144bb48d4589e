// The renderer's Content-Security-Policy: the app's own scripts and styles only, nothing inline,
// no plugins, and WebSocket connections only to loopback (web mode reaches the control plane there).
// Images may also be data: URLs, which Vite makes of small assets.
// The main process sends it as a header; the build puts it in index.html as a <meta> tag.
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self' ws://127.0.0.1:*",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');
