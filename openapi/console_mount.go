package openapi

import (
	"context"
	"net/http"

	"ipledger/openapi/console"
	"ipledger/registry"
	"ipledger/registry/access"
)

// mountConsole builds the browser console (openapi/console) over the API's own services and
// rule table. Its pages are not operations: they are not in the OpenAPI document.
func (s *Server) mountConsole() {
	s.console = console.New(console.Deps{
		Ledger: s.Ledger, ReadDB: s.ReadDB, Access: s.Access, Registry: s.Registry, Log: s.log,
		Allows: func(op string, role access.Role) bool {
			r, ok := s.rules[op]
			return ok && (r.public || r.allows(role))
		},
		Viewer: func(p access.Principal) registry.Viewer {
			return pledgeViewer(withPrincipal(context.Background(), p))
		},
		LoginAllowed: s.failures.ok, LoginFailed: s.failures.fail,
	}).Handler()
}

// consoleFirst sends the console's paths (and / to its start) straight to the console,
// past the API's JSON-only middleware (bearer tokens, idempotency, content types): the
// console answers HTML forms with its own sessions and CSRF protection.
func (s *Server) consoleFirst(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.console != nil && console.Owns(r.URL.Path) {
			s.console.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}
