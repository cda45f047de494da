package registry

import (
	"context"

	"github.com/google/uuid"
)

// Who may register a pledge: the rule that depends on the caller rather than on the state
// (pledge_check.go). A bank registers pledges to itself only, whichever way it calls (the API,
// the console), so the rule is the domain's, not a handler's.

type viewerKey struct{}

// WithViewer returns ctx carrying the viewer on whose behalf pledges are registered with it:
// a bank's (BankViewer) may name only itself as the pledgee. A call without one is the
// office's (imports, admins, registrars). Concurrent registrations of one actor are written
// together under the first one's context (gather.go), so v must be a function of the actor,
// as a principal's is.
func WithViewer(ctx context.Context, v Viewer) context.Context {
	return context.WithValue(ctx, viewerKey{}, v)
}

// viewerFrom is the viewer WithViewer put in ctx, or the office.
func viewerFrom(ctx context.Context) Viewer {
	if v, ok := ctx.Value(viewerKey{}).(Viewer); ok {
		return v
	}
	return OfficeViewer()
}

// checkRegistrar refuses a registration by v whose pledgee v may not act for: a bank's pledge
// names the bank itself (a viewer that sees nothing may name no one).
func checkRegistrar(v Viewer, pledgee uuid.UUID) *Error {
	if v.sees(pledgee) {
		return nil
	}
	return Errorf(Forbidden, "pledgee_not_caller", "pledgee_id", "a bank registers pledges to itself only; pledgee_id names another party")
}

// checkRegistrationBy is checkRegistration for a registration made by v: who registers first,
// then the rules that read state.
func (v *pledgeView) checkRegistrationBy(by Viewer, p *pledgePayload) *Error {
	if de := checkRegistrar(by, p.PledgeeID); de != nil {
		return de
	}
	return v.checkRegistration(p)
}
