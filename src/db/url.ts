// Database URLs and the passwords they may carry (postgres://user:pw@host/db, ?password=pw): the one
// place that knows where a password hides in one, to refuse it on the command line, to hand it to the
// driver apart from the URL, and to hide it wherever a URL (or a message quoting one) is shown.

const SCHEME_AND_AUTHORITY = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)(.*)$/is;
const QUERY_PASSWORD = /([?&])password=[^&#]*/gi;

/** True when the URL carries a password, in its user part or as a password= parameter. */
export function urlHasPassword(url: string): boolean {
  const m = SCHEME_AND_AUTHORITY.exec(url);
  const authority = m?.[2] ?? '';
  const at = authority.lastIndexOf('@');
  return (at >= 0 && authority.slice(0, at).includes(':')) || /[?&]password=/i.test(m?.[3] ?? url);
}

/**
 * Any text with the passwords of the URLs in it replaced by ***: postgres://u:***@host/db, password=***.
 * Used on everything that may show a URL: db status, connection errors, --debug output.
 */
export function redactSecrets(text: string): string {
  return (
    text
      // user:password@ up to the last @ before the path, so an unencoded @ in a password is covered too.
      .replace(/\b([a-z][a-z0-9+.-]*:\/\/[^\s/?#@:]*):[^\s/?#]*@/gi, '$1:***@')
      .replace(/(^|[?&\s])password=[^&\s]*/gim, '$1password=***')
  );
}

/**
 * The URL without its password, and the password apart: the driver gets it as an option, so a message
 * that quotes the URL cannot carry it. Accepts libpq's ?password= form too.
 */
export function splitPassword(url: string): { url: string; password?: string } {
  const m = SCHEME_AND_AUTHORITY.exec(url);
  if (!m) return { url };
  let [, scheme, authority, rest] = m as unknown as [string, string, string, string];
  let password: string | undefined;
  const at = authority.lastIndexOf('@');
  const colon = at >= 0 ? authority.slice(0, at).indexOf(':') : -1;
  if (colon >= 0) {
    password = safeDecode(authority.slice(colon + 1, at));
    authority = authority.slice(0, colon) + authority.slice(at);
  }
  const query = /[?&]password=([^&#]*)/i.exec(rest);
  if (query) password = safeDecode(query[1]!);
  rest = rest.replace(QUERY_PASSWORD, '$1');
  // Tidy what removing the parameter left behind: "?&a=1" -> "?a=1", a trailing "?" or "&".
  rest = rest.replace(/\?&+/, '?').replace(/&{2,}/g, '&').replace(/[?&]+(#|$)/, '$1');
  return { url: scheme + authority + rest, password };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
