package console

import (
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"ipledger/registry/access"
)

// Session cookie and its lifetime: a session ends after 8 hours without a request.
const (
	CookieName  = "ipledger_session"
	IdleTimeout = 8 * time.Hour
	langCookie  = "ipledger_lang"
	// touchEvery: seen_at is written at most this often, not on every request.
	touchEvery = time.Minute
)

func digest(s string) []byte {
	d := sha256.Sum256([]byte(s))
	return d[:]
}

// newSession stores a session for the token and returns the cookie value. The table keeps
// the cookie's digest and the token's digest, never either secret.
func (c *Console) newSession(r *http.Request, token string) (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	id := base64.RawURLEncoding.EncodeToString(b[:])
	now := c.Now().UTC()
	db := c.Ledger.DB()
	// Forget sessions idle past the timeout: they can never be used again.
	if _, err := db.ExecContext(r.Context(), `DELETE FROM access.sessions WHERE seen_at < ?`, now.Add(-IdleTimeout)); err != nil {
		return "", fmt.Errorf("console: sweep sessions: %w", err)
	}
	if _, err := db.ExecContext(r.Context(), `INSERT INTO access.sessions (digest, token_digest, created_at, seen_at) VALUES (?, ?, ?, ?)`,
		digest(id), access.TokenDigest(token), now, now); err != nil {
		return "", fmt.Errorf("console: store session: %w", err)
	}
	return id, nil
}

// session returns the principal of the request's session. The token behind it is checked
// again through the access service on every request, so revoking the token or its principal
// ends the session at once; a session idle for IdleTimeout is over.
func (c *Console) session(w http.ResponseWriter, r *http.Request) (access.Principal, bool, error) {
	ck, err := r.Cookie(CookieName)
	if err != nil || ck.Value == "" || len(ck.Value) > 100 || c.Ledger == nil {
		return access.Principal{}, false, nil
	}
	db := c.Ledger.DB()
	d := digest(ck.Value)
	var (
		tokenDigest []byte
		seen        time.Time
	)
	err = db.QueryRowContext(r.Context(), `SELECT token_digest, seen_at FROM access.sessions WHERE digest = ?`, d).Scan(&tokenDigest, &seen)
	if errors.Is(err, sql.ErrNoRows) {
		return access.Principal{}, false, nil
	}
	if err != nil {
		return access.Principal{}, false, fmt.Errorf("console: read session: %w", err)
	}
	now := c.Now()
	end := func() (access.Principal, bool, error) {
		_, err := db.ExecContext(r.Context(), `DELETE FROM access.sessions WHERE digest = ?`, d)
		return access.Principal{}, false, err
	}
	if now.Sub(seen) > IdleTimeout {
		return end()
	}
	p, err := c.Access.AuthenticateDigest(r.Context(), tokenDigest)
	if errors.Is(err, access.ErrBadToken) {
		return end()
	}
	if err != nil {
		return access.Principal{}, false, err
	}
	if now.Sub(seen) >= touchEvery {
		if _, err := db.ExecContext(r.Context(), `UPDATE access.sessions SET seen_at = ? WHERE digest = ?`, now.UTC(), d); err != nil {
			return access.Principal{}, false, fmt.Errorf("console: touch session: %w", err)
		}
		setSessionCookie(w, r, ck.Value) // the browser's expiry moves with the server's
	}
	return p, true, nil
}

func setSessionCookie(w http.ResponseWriter, r *http.Request, value string) {
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: value, Path: Prefix, MaxAge: int(IdleTimeout / time.Second),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
}

func (c *Console) loginForm(w http.ResponseWriter, r *http.Request) {
	c.render(w, r, http.StatusOK, "login", "title_login", loginData{Next: safeNext(r.URL.Query().Get("next"))})
}

type loginData struct {
	Next  string
	Error string
}

// login starts a session for a valid token. A bad token re-shows the form with a message
// (401); failures count against the client address as the API's bad bearer tokens do.
func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		c.errorPage(w, r, http.StatusBadRequest, "err_form")
		return
	}
	next := safeNext(r.PostForm.Get("next"))
	ip := clientIP(r)
	if !c.LoginAllowed(ip) {
		w.Header().Set("Retry-After", "1")
		c.render(w, r, http.StatusTooManyRequests, "login", "title_login", loginData{Next: next, Error: c.tr(r, "login_too_many")})
		return
	}
	token := strings.TrimSpace(r.PostForm.Get("token"))
	if _, err := c.Access.Authenticate(r.Context(), token); err != nil {
		if !errors.Is(err, access.ErrBadToken) {
			c.Log.ErrorContext(r.Context(), "console login", "err", err)
			c.errorPage(w, r, http.StatusServiceUnavailable, "err_unavailable")
			return
		}
		c.LoginFailed(ip)
		c.render(w, r, http.StatusUnauthorized, "login", "title_login", loginData{Next: next, Error: c.tr(r, "login_bad_token")})
		return
	}
	id, err := c.newSession(r, token)
	if err != nil {
		c.Log.ErrorContext(r.Context(), "console login", "err", err)
		c.errorPage(w, r, http.StatusServiceUnavailable, "err_unavailable")
		return
	}
	setSessionCookie(w, r, id)
	if next == "" {
		next = Prefix
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// logout ends the session on the server and clears the cookie.
func (c *Console) logout(w http.ResponseWriter, r *http.Request) {
	if ck, err := r.Cookie(CookieName); err == nil && c.Ledger != nil {
		if _, err := c.Ledger.DB().ExecContext(r.Context(), `DELETE FROM access.sessions WHERE digest = ?`, digest(ck.Value)); err != nil {
			c.Log.ErrorContext(r.Context(), "console logout", "err", err)
			c.errorPage(w, r, http.StatusServiceUnavailable, "err_unavailable")
			return
		}
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: Prefix, MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	http.Redirect(w, r, "/console/login", http.StatusSeeOther)
}

// setLang switches the language (zh or en) and goes back to the page it was asked from.
func (c *Console) setLang(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	_ = r.ParseForm()
	lang := r.PostForm.Get("lang")
	if lang != "en" {
		lang = "zh"
	}
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: lang, Path: Prefix, MaxAge: 365 * 24 * 3600,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	back := safeNext(r.PostForm.Get("back"))
	if back == "" {
		back = Prefix
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// safeNext keeps a redirect target inside the console (no open redirect).
func safeNext(s string) string {
	if !strings.HasPrefix(s, Prefix) || strings.HasPrefix(s, "//") || strings.ContainsAny(s, "\\\r\n") {
		return ""
	}
	if u, err := url.Parse(s); err != nil || u.Host != "" || u.Scheme != "" {
		return ""
	}
	return s
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
