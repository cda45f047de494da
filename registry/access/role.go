// Package access holds principals, their roles and bearer tokens: who may act, recorded in
// the ledger like every other change.
package access

// Role is what a principal may do.
type Role string

const (
	Admin     Role = "admin"     // issues principals and tokens, sets policy and reference data
	Registrar Role = "registrar" // market-regulation staff: parties, assets, any pledge
	Bank      Role = "bank"      // bound to one lender party (bank, guarantor, financial institution); its own pledges only
	Planner   Role = "planner"   // reads indicators
	Auditor   Role = "auditor"   // reads and verifies the ledger
)

// Roles lists every role, in a fixed order.
func Roles() []Role { return []Role{Admin, Registrar, Bank, Planner, Auditor} }

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, x := range Roles() {
		if r == x {
			return true
		}
	}
	return false
}

// Principal is an authenticated caller.
type Principal struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Role    Role   `json:"role"`
	PartyID string `json:"party_id,omitempty"` // the lender party, for role bank
}

// Actor is how the principal appears in ledger entries.
func (p Principal) Actor() string { return "principal/" + p.ID }
