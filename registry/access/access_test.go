package access_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"ipledger/ledger"
	"ipledger/migrations/dbtest"
	"ipledger/registry"
	"ipledger/registry/access"
)

func TestMain(m *testing.M) { dbtest.Main(m) }

func snapshot(t *testing.T, db *dbtest.DB) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT id, name, role, coalesce(party_id::text, ''), created_at, coalesce(revoked_at::text, '') FROM access.principals ORDER BY id`,
		`SELECT encode(digest, 'hex'), principal_id, issued_at, coalesce(revoked_at::text, '') FROM access.tokens ORDER BY digest`,
	} {
		rows, err := db.App.QueryContext(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&b, vals...)
		}
		rows.Close()
	}
	return b.String()
}

// Replaying the principal.* entries into empty tables gives the same projection.
func TestReplayRebuildsPrincipals(t *testing.T) {
	db := dbtest.New(t)
	l := ledger.New(db.App, ledger.Options{})
	defer l.Close()
	acc := access.New(l)
	ctx := ledger.WithActor(context.Background(), "system")
	admin, err := acc.Bootstrap(ctx, "")
	if err != nil || admin == "" {
		t.Fatalf("bootstrap: %q %v", admin, err)
	}
	if again, err := acc.Bootstrap(ctx, ""); err != nil || again != "" {
		t.Fatalf("second bootstrap made another admin: %q %v", again, err)
	}
	p1, _, err := acc.Create(ctx, "planner", access.Planner, "")
	if err != nil {
		t.Fatal(err)
	}
	p2, tok2, err := acc.Create(ctx, "auditor", access.Auditor, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := acc.Rotate(ctx, p1.ID); err != nil {
		t.Fatal(err)
	}
	if err := acc.Revoke(ctx, p2.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := acc.Authenticate(context.Background(), tok2); !errors.Is(err, access.ErrBadToken) {
		t.Fatalf("revoked token authenticated: %v", err)
	}
	before := snapshot(t, db)
	super := db.Super(t)
	if _, err := super.ExecContext(context.Background(), `DELETE FROM access.tokens; DELETE FROM access.principals`); err != nil {
		t.Fatal(err)
	}
	es, err := ledger.List(context.Background(), db.App, ledger.Filter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if strings.HasPrefix(e.Kind, "principal.") {
			if err := access.Apply(context.Background(), db.App, e); err != nil {
				t.Fatal(err)
			}
		}
	}
	if after := snapshot(t, db); after != before {
		t.Fatalf("replay differs:\nbefore\n%s\nafter\n%s", before, after)
	}
}

func TestCreateRules(t *testing.T) {
	db := dbtest.New(t)
	l := ledger.New(db.App, ledger.Options{})
	defer l.Close()
	acc := access.New(l)
	ctx := ledger.WithActor(context.Background(), "system")
	for _, c := range []struct {
		name, role, party, code string
	}{
		{"", "planner", "", "name_invalid"},
		{"x", "root", "", "role_unknown"},
		{"x", "bank", "", "party_required"},
		{"x", "planner", "0192f1c2-0000-7000-8000-000000000000", "party_not_allowed"},
		{"x", "bank", "not-a-uuid", "party_id_invalid"},
		{"x", "bank", "0192f1c2-0000-7000-8000-000000000000", "party_unknown"},
	} {
		t.Run(c.code, func(t *testing.T) {
			_, _, err := acc.Create(ctx, c.name, access.Role(c.role), c.party)
			de, ok := registry.AsError(err)
			if !ok || de.Code != c.code {
				t.Fatalf("err = %v, want %s", err, c.code)
			}
		})
	}
	t.Run("BootstrapTokenMustBeStrong", func(t *testing.T) {
		if _, err := acc.Bootstrap(ctx, "ipl_short"); err == nil {
			t.Fatal("a short bootstrap token was accepted")
		}
	})
	t.Run("BootstrapTokenIsTheAdmins", func(t *testing.T) {
		tok := access.NewToken()
		got, err := acc.Bootstrap(ctx, tok)
		if err != nil || got != tok {
			t.Fatalf("bootstrap = %q, %v", got, err)
		}
		p, err := acc.Authenticate(context.Background(), tok)
		if err != nil || p.Role != access.Admin {
			t.Fatalf("authenticate = %+v, %v", p, err)
		}
	})
}

// A bank principal acts for a lender: a party of kind bank, guarantor or
// financial_institution; any other kind is party_not_bank.
func TestBankPrincipalBindsToLenders(t *testing.T) {
	db := dbtest.New(t)
	l := ledger.New(db.App, ledger.Options{})
	defer l.Close()
	reg := registry.New(l)
	ctx := ledger.WithActor(context.Background(), "system")
	if err := reg.Seed(ctx); err != nil {
		t.Fatal(err)
	}
	acc := access.New(l)
	for _, c := range []struct {
		kind registry.PartyKind
		code string
	}{{registry.Bank, ""}, {registry.Guarantor, ""}, {registry.FinancialInstitution, ""}, {registry.Enterprise, "party_not_bank"}, {registry.Government, "party_not_bank"}} {
		p, _, err := reg.RegisterParty(ctx, registry.PartyInput{Name: "某" + string(c.kind), Kind: c.kind, RegionCode: "150502"})
		if err != nil {
			t.Fatal(err)
		}
		pr, tok, err := acc.Create(ctx, "clerk of "+string(c.kind), access.Bank, p.ID.String())
		if c.code != "" {
			if de, ok := registry.AsError(err); !ok || de.Code != c.code || de.Field != "party_id" {
				t.Fatalf("%s: err = %v, want %s", c.kind, err, c.code)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", c.kind, err)
		}
		if got, err := acc.Authenticate(ctx, tok); err != nil || got.PartyID != p.ID.String() || got.ID != pr.ID {
			t.Fatalf("%s: authenticated as %+v (%v)", c.kind, got, err)
		}
	}
}
