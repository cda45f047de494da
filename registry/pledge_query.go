package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"ipledger/ledger"
	"ipledger/registry/ident"
	"ipledger/registry/term"
)

// PledgeRef is a pledge found by its contract number.
type PledgeRef struct {
	ID        uuid.UUID
	PledgeeID uuid.UUID
	Status    string
}

// PledgesByContract returns the pledges whose current contract number is contractNo, of the
// pledgee when pledgee is not uuid.Nil, oldest registration first.
func (s *Service) PledgesByContract(ctx context.Context, contractNo string, pledgee uuid.UUID) ([]PledgeRef, error) {
	q := `SELECT id, pledgee_id, status FROM registry.pledges WHERE contract_no = ?`
	args := []any{contractNo}
	if pledgee != uuid.Nil {
		q += ` AND pledgee_id = ?`
		args = append(args, pledgee.String())
	}
	var out []PledgeRef
	if err := s.db.NewRaw(q+` ORDER BY registered_on, registered_seq`, args...).Scan(ctx, &out); err != nil {
		return nil, fmt.Errorf("registry: pledges by contract: %w", err)
	}
	return out, nil
}

// Pledge is a pledge registration in its current state, as its pledgee and the office see it.
type Pledge struct {
	ID           uuid.UUID      `json:"id"`
	Status       string         `json:"status"`  // active | released | realised
	Overdue      bool           `json:"overdue"` // active and its term ended before today
	Defaulted    bool           `json:"defaulted"`
	DefaultedOn  term.Date      `json:"defaulted_on"`
	Pledgee      Owner          `json:"pledgee"`
	Pledgors     []Owner        `json:"pledgors"`
	Assets       []PledgedAsset `json:"assets"`
	Amount       Money          `json:"amount"`    // the secured amount now
	Financing    Money          `json:"financing"` // counted financing: the highest amount it has had
	ContractNo   string         `json:"contract_no"`
	RegionCode   string         `json:"region_code"` // the first pledgor's unit: where its financing counts
	RegisteredOn term.Date      `json:"registered_on"`
	StartsOn     term.Date      `json:"starts_on"`
	EndsOn       term.Date      `json:"ends_on"`
	EndedOn      term.Date      `json:"ended_on"`       // released or realised on
	Realisation  *Realisation   `json:"realisation"`    // how it was realised, if it was
	Seq          int64          `json:"registered_seq"` // the registration's ledger entry
	UpdatedSeq   int64          `json:"updated_seq"`    // the last entry that changed it
	Appraisals   []Appraisal    `json:"appraisals"`     // pledge_valuation.go
	LoanToValue  string         `json:"loan_to_value"`  // amount ÷ latest appraised value, "0.5000"; "" without appraisal
	// Warnings, on a registration's answer only: e.g. a pledgor on a credit list (credit.go).
	Warnings []Warning `json:"warnings,omitempty"`
}

// PledgedAsset is a right a pledge covers or covered.
type PledgedAsset struct {
	ID            uuid.UUID  `json:"id"`
	Kind          ident.Kind `json:"kind"`
	Number        string     `json:"number"`
	DisplayNumber string     `json:"display_number"`
	Title         string     `json:"title"`
	Active        bool       `json:"active"`      // still in the pledge
	ReleasedOn    term.Date  `json:"released_on"` // left the pledge on
}

// Realisation is how a defaulted pledge was realised.
type Realisation struct {
	Method   string `json:"method"`
	Proceeds Money  `json:"proceeds"`
	// debt_to_equity and reverse_licence terms (pledge_realise.go)
	EquityHolder  *Owner    `json:"equity_holder,omitempty"`
	EquityShare   string    `json:"equity_share,omitempty"`
	Licensee      *Owner    `json:"licensee,omitempty"`
	LicenceEndsOn term.Date `json:"licence_ends_on"`
}

// GetPledge returns the pledge if v may see it; otherwise NotFound, as for no pledge at all.
func (s *Service) GetPledge(ctx context.Context, v Viewer, id uuid.UUID) (Pledge, error) {
	return s.getPledge(ctx, s.db, v, id)
}

func (s *Service) getPledge(ctx context.Context, db bun.IDB, v Viewer, id uuid.UUID) (Pledge, error) {
	ps, err := s.loadPledges(ctx, db, `p.id = ?`, id.String())
	if err != nil {
		return Pledge{}, err
	}
	if len(ps) == 0 || !v.sees(ps[0].Pledgee.ID) {
		return Pledge{}, Errorf(NotFound, "pledge_not_found", "", "no pledge %s", id)
	}
	return ps[0], nil
}

// loadPledges reads the pledges selected by where (over registry.pledges p), in id order: one
// statement, with each pledge's rights, its parties' names (pledgee, pledgors, an equity
// holder or licensee: one lookup), its appraisals and its realisation's terms beside it (one
// round trip, and for one pledge one prepared statement; each subquery more costs Postgres
// its start-up on every call).
func (s *Service) loadPledges(ctx context.Context, db bun.IDB, where string, args ...any) ([]Pledge, error) {
	rows, err := queryPrepared(ctx, db, `SELECT p.id, p.status, p.defaulted_on::text, p.pledgee_id, p.pledgor_ids::text[],
		p.amount_fen, p.contract_no, p.region_code, p.registered_on::text, p.starts_on::text, p.ends_on::text,
		p.ended_on::text, coalesce(p.realisation_method, ''), coalesce(p.proceeds_fen, 0), p.registered_seq, p.updated_seq,
		coalesce((SELECT sum(f.amount_fen) FROM registry.pledge_financing f WHERE f.pledge_id = p.id), 0),
		coalesce((SELECT json_agg(json_build_object('id', a.id, 'kind', a.kind, 'number', a.number, 'title', a.title,
			'granted', a.granted_on IS NOT NULL, 'active', pa.active, 'released_on', pa.released_on) ORDER BY pa.position)
			FROM registry.pledge_assets pa JOIN registry.assets a ON a.id = pa.asset_id WHERE pa.pledge_id = p.id), '[]')::text,
		coalesce((SELECT json_object_agg(x.id, x.name) FROM registry.parties x WHERE x.id = p.pledgee_id OR x.id = ANY(p.pledgor_ids)
			OR x.id = p.equity_holder_id OR x.id = p.licensee_id), '{}')::text,
		coalesce((SELECT json_agg(json_build_object('value_fen', a.value_fen, 'appraiser', a.appraiser, 'appraised_on', a.appraised_on,
			'method', a.method, 'seq', a.seq) ORDER BY a.seq, a.position) FROM registry.pledge_appraisals a WHERE a.pledge_id = p.id), '[]')::text,
		p.equity_holder_id, coalesce(p.equity_share::text, ''), p.licensee_id, p.licence_ends_on::text
		FROM registry.pledges p WHERE `+where+` ORDER BY p.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("registry: load pledges: %w", err)
	}
	defer rows.Close()
	var out []Pledge
	today := s.Today()
	for rows.Next() {
		var p Pledge
		var defaulted, ended *string
		var reg, starts, ends, assets, names string
		var pledgors []string
		var method string
		var amount, proceeds, fin int64
		var t pledgeTerms
		if err := rows.Scan(&p.ID, &p.Status, &defaulted, &p.Pledgee.ID, pgdialect.Array(&pledgors), &amount, &p.ContractNo,
			&p.RegionCode, &reg, &starts, &ends, &ended, &method, &proceeds, &p.Seq, &p.UpdatedSeq, &fin, &assets, &names,
			&t.appraisals, &t.holder, &t.share, &t.licensee, &t.licenceEnds); err != nil {
			return nil, err
		}
		p.DefaultedOn, p.EndedOn = parseDateCol(defaulted), parseDateCol(ended)
		p.Defaulted = !p.DefaultedOn.IsZero()
		p.RegisteredOn, p.StartsOn, p.EndsOn = parseDateCol(&reg), parseDateCol(&starts), parseDateCol(&ends)
		p.Amount, p.Financing = Money(amount), Money(fin)
		p.Overdue = p.Status == PledgeActive && p.EndsOn.Before(today)
		if method != "" {
			p.Realisation = &Realisation{Method: method, Proceeds: Money(proceeds)}
		}
		nameOf := map[uuid.UUID]string{}
		if err := json.Unmarshal([]byte(names), &nameOf); err != nil {
			return nil, fmt.Errorf("registry: pledge %s parties: %w", p.ID, err)
		}
		p.Pledgee.Name = nameOf[p.Pledgee.ID]
		if t.holder != nil {
			t.holderName = nameOf[*t.holder]
		}
		if t.licensee != nil {
			t.licenseeName = nameOf[*t.licensee]
		}
		for _, o := range pledgors {
			id, err := uuid.Parse(o)
			if err != nil {
				return nil, err
			}
			p.Pledgors = append(p.Pledgors, Owner{ID: id, Name: nameOf[id]})
		}
		var as []struct {
			ID         uuid.UUID  `json:"id"`
			Kind       ident.Kind `json:"kind"`
			Number     string     `json:"number"`
			Title      string     `json:"title"`
			Granted    bool       `json:"granted"`
			Active     bool       `json:"active"`
			ReleasedOn term.Date  `json:"released_on"`
		}
		if err := json.Unmarshal([]byte(assets), &as); err != nil {
			return nil, fmt.Errorf("registry: pledge %s rights: %w", p.ID, err)
		}
		for _, a := range as {
			p.Assets = append(p.Assets, PledgedAsset{ID: a.ID, Kind: a.Kind, Number: a.Number, Title: a.Title,
				DisplayNumber: pledgeDisplayNumber(a.Kind, a.Number, a.Granted), Active: a.Active, ReleasedOn: a.ReleasedOn})
		}
		if err := t.attach(&p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func pledgeDisplayNumber(k ident.Kind, number string, granted bool) string {
	switch {
	case k.IsPatent() && granted:
		return ident.PatentNumberDisplay(number)
	case k == ident.PlantVariety && granted:
		return ident.PlantVarietyRightNumber(number)
	}
	return number
}

// PledgeFilter selects pledges for ListPledges. Zero fields select everything.
type PledgeFilter struct {
	Status    string    // active | released | realised
	AssetID   uuid.UUID // pledges that cover or covered this right
	PledgorID uuid.UUID
	From, To  term.Date // registered on or after From, on or before To
	Cursor    string
	Limit     int // 1..1000, default 100
}

// ListPledges returns a page of the pledges v may see, in id (registration) order, and the
// next page's cursor ("" at the end). A bank sees only its own.
func (s *Service) ListPledges(ctx context.Context, v Viewer, f PledgeFilter) ([]Pledge, string, error) {
	after, err := decodeCursor(f.Cursor)
	if err != nil {
		return nil, "", err
	}
	limit := clampLimit(f.Limit)
	where := `p.id > ?`
	args := []any{after.String()}
	switch {
	case v.all:
	case v.bank != uuid.Nil:
		where += ` AND p.pledgee_id = ?`
		args = append(args, v.bank.String())
	default:
		return nil, "", nil
	}
	switch f.Status {
	case "":
	case PledgeActive, PledgeReleased, PledgeRealised:
		where += ` AND p.status = ?`
		args = append(args, f.Status)
	default:
		return nil, "", Errorf(Invalid, "status_unknown", "query.status", "status is active, released or realised, not %q", f.Status)
	}
	if f.AssetID != uuid.Nil {
		where += ` AND EXISTS (SELECT 1 FROM registry.pledge_assets pa WHERE pa.pledge_id = p.id AND pa.asset_id = ?)`
		args = append(args, f.AssetID.String())
	}
	if f.PledgorID != uuid.Nil {
		where += ` AND p.pledgor_ids @> ARRAY[?::uuid]`
		args = append(args, f.PledgorID.String())
	}
	if !f.From.IsZero() {
		where += ` AND p.registered_on >= ?`
		args = append(args, f.From.String())
	}
	if !f.To.IsZero() {
		where += ` AND p.registered_on <= ?`
		args = append(args, f.To.String())
	}
	return s.pledgePage(ctx, where, args, limit)
}

// pledgePage is one page of the pledges where holds, in id order, and the cursor after it
// ("" on the last page).
func (s *Service) pledgePage(ctx context.Context, where string, args []any, limit int) ([]Pledge, string, error) {
	ids, err := queryIDs(ctx, s.db, `SELECT p.id FROM registry.pledges p WHERE `+where+` ORDER BY p.id LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("registry: list pledges: %w", err)
	}
	if len(ids) == 0 {
		return nil, "", nil
	}
	next := ""
	if len(ids) > limit {
		ids = ids[:limit]
		next = encodeCursor(ids[limit-1])
	}
	ps, err := s.loadPledges(ctx, s.db, `p.id = ANY(?::uuid[])`, pgdialect.Array(uuidStrings(ids)))
	if err != nil {
		return nil, "", err
	}
	return ps, next, nil
}

// PublicPledge is what the public sees of a pledge (the plan asks pledge information to be
// made public): which rights, pledged by whom to whom, since when, released when. Never the
// amount, the term or the contract.
type PublicPledge struct {
	PledgeID     uuid.UUID     `json:"pledge_id"`
	Status       string        `json:"status"`
	RegisteredOn term.Date     `json:"registered_on"`
	EndedOn      term.Date     `json:"ended_on"`
	Pledgors     []string      `json:"pledgors"`
	Pledgee      string        `json:"pledgee"`
	Rights       []PublicRight `json:"rights"`
}

// PublicRight is a pledged right in the public disclosure.
type PublicRight struct {
	Kind          ident.Kind `json:"kind"`
	Number        string     `json:"number"`
	DisplayNumber string     `json:"display_number"`
	Title         string     `json:"title"`
	ReleasedOn    term.Date  `json:"released_on"`
}

// PublicFilter selects pledges for the public disclosure. Number is a right's number in any
// accepted spelling (ZL2013106997442, 201310699744.2, …); Pledgor is a pledgor's name (a
// substring), unified social credit code or id.
type PublicFilter struct {
	Number  string
	Pledgor string
	Cursor  string
	Limit   int
}

// PublicPledges returns a page of pledges for the public disclosure, in id order.
func (s *Service) PublicPledges(ctx context.Context, f PublicFilter) ([]PublicPledge, string, error) {
	after, err := decodeCursor(f.Cursor)
	if err != nil {
		return nil, "", err
	}
	limit := clampLimit(f.Limit)
	where := `p.id > ?`
	args := []any{after.String()}
	if n := strings.TrimSpace(f.Number); n != "" {
		cands := []string{n}
		for _, k := range pledgeableKinds() {
			if c, err := ident.Canonical(k, n); err == nil {
				cands = append(cands, c)
			}
		}
		where += ` AND EXISTS (SELECT 1 FROM registry.pledge_assets pa JOIN registry.assets a ON a.id = pa.asset_id
			WHERE pa.pledge_id = p.id AND a.number = ANY(?::text[]))`
		args = append(args, pgdialect.Array(cands))
	}
	if q := strings.TrimSpace(f.Pledgor); q != "" {
		if id, err := uuid.Parse(q); err == nil {
			where += ` AND p.pledgor_ids @> ARRAY[?::uuid]`
			args = append(args, id.String())
		} else {
			uscc := q
			if c, err := ident.CheckUSCC(q); err == nil {
				uscc = c
			}
			where += ` AND EXISTS (SELECT 1 FROM registry.parties x WHERE x.id = ANY(p.pledgor_ids)
				AND (x.uscc = ? OR x.name ILIKE ? ESCAPE '\'))`
			args = append(args, uscc, "%"+likeEscape(q)+"%")
		}
	}
	ps, next, err := s.pledgePage(ctx, where, args, limit)
	if err != nil {
		return nil, "", err
	}
	out := make([]PublicPledge, len(ps))
	for i, p := range ps {
		pp := PublicPledge{PledgeID: p.ID, Status: p.Status, RegisteredOn: p.RegisteredOn, EndedOn: p.EndedOn,
			Pledgee: p.Pledgee.Name, Pledgors: make([]string, len(p.Pledgors)), Rights: make([]PublicRight, len(p.Assets))}
		for j, o := range p.Pledgors {
			pp.Pledgors[j] = o.Name
		}
		for j, a := range p.Assets {
			pp.Rights[j] = PublicRight{Kind: a.Kind, Number: a.Number, DisplayNumber: a.DisplayNumber, Title: a.Title, ReleasedOn: a.ReleasedOn}
		}
		out[i] = pp
	}
	return out, next, nil
}

// PledgeChanges returns, in chain order, up to limit ledger entries (1..1000, default 100)
// about the pledges v may see, after seq afterSeq: a bank's feed of its own pledges' changes.
func (s *Service) PledgeChanges(ctx context.Context, v Viewer, afterSeq int64, limit int) ([]ledger.Entry, error) {
	limit = clampLimit(limit)
	var rowsQ string
	args := []any{afterSeq}
	switch {
	case v.all:
		rowsQ = ` AND e.kind LIKE 'pledge.%'`
	case v.bank != uuid.Nil:
		rowsQ = ` AND e.subject IN (SELECT 'pledge/' || p.id::text FROM registry.pledges p WHERE p.pledgee_id = ?)`
		args = append(args, v.bank.String())
	default:
		return nil, nil
	}
	args = append(args, limit)
	rows, err := s.db.QueryContext(ctx, `SELECT e.seq, e.kind, e.subject, e.actor, e.effective_on::text, e.recorded_at,
		e.payload::text, coalesce(e.idempotency_key, ''), e.prev_hash, e.hash
		FROM ledger.entries e WHERE e.seq > ?`+rowsQ+` ORDER BY e.seq LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("registry: pledge changes: %w", err)
	}
	defer rows.Close()
	var out []ledger.Entry
	for rows.Next() {
		var e ledger.Entry
		var eff, payload string
		var prev, hash []byte
		if err := rows.Scan(&e.Seq, &e.Kind, &e.Subject, &e.Actor, &eff, &e.RecordedAt, &payload, &e.IdempotencyKey, &prev, &hash); err != nil {
			return nil, err
		}
		d, err := time.Parse(ledger.DateLayout, eff)
		if err != nil {
			return nil, err
		}
		e.EffectiveOn, e.RecordedAt, e.Payload = d, e.RecordedAt.UTC(), []byte(payload)
		copy(e.PrevHash[:], prev)
		copy(e.Hash[:], hash)
		out = append(out, e)
	}
	return out, rows.Err()
}

// FinancingRow is the pledge financing counted in one year and unit.
type FinancingRow struct {
	Year          int    `json:"year"`
	RegionCode    string `json:"region_code"`
	Amount        Money  `json:"amount"`        // registrations at their amount + amendments above the highest amount counted
	Registrations int    `json:"registrations"` // pledges registered (pledge_count)
	Pledgors      int    `json:"pledgors"`      // distinct first pledgors of those registrations, as the pledged_enterprises indicator counts
}

// FinancingByYearRegion sums registry.pledge_financing by calendar year and unit over the
// business dates from..to (inclusive; zero: unbounded), as known at ledger seq knownAt (0:
// everything recorded). The rule (docs/DOMAIN.md, Pledge rules): each registration counts once, at its
// registered amount, on its registration date, in the unit of its first pledgor, however many
// rights it covers; an amendment counts, on its date, only the part of its amount above the
// highest amount already counted for the registration;
// releases, partial releases, decreases and realisations never subtract.
func (s *Service) FinancingByYearRegion(ctx context.Context, from, to term.Date, knownAt int64) ([]FinancingRow, error) {
	if knownAt <= 0 {
		knownAt = 1<<63 - 1
	}
	lo, hi := "-infinity", "infinity"
	if !from.IsZero() {
		lo = from.String()
	}
	if !to.IsZero() {
		hi = to.String()
	}
	rows, err := s.db.QueryContext(ctx, `WITH f AS (
		  SELECT extract(year FROM effective_on)::int AS y, region_code, amount_fen, is_registration, pledgor_id
		  FROM registry.pledge_financing WHERE seq <= ? AND effective_on BETWEEN ?::date AND ?::date)
		-- Distinct first pledgors, as the pledged_enterprises indicator counts them: each
		-- registration belongs to one unit, so the city stays the sum of its units.
		SELECT y, region_code, sum(amount_fen)::bigint, count(*) FILTER (WHERE is_registration),
		  count(DISTINCT pledgor_id) FILTER (WHERE is_registration)
		FROM f GROUP BY y, region_code ORDER BY y, region_code`, knownAt, lo, hi)
	if err != nil {
		return nil, fmt.Errorf("registry: financing: %w", err)
	}
	defer rows.Close()
	var out []FinancingRow
	for rows.Next() {
		var r FinancingRow
		var amount int64
		if err := rows.Scan(&r.Year, &r.RegionCode, &amount, &r.Registrations, &r.Pledgors); err != nil {
			return nil, err
		}
		r.Amount = Money(amount)
		out = append(out, r)
	}
	return out, rows.Err()
}

// Appraisal is an appraisal as recorded.
type Appraisal struct {
	Value       Money     `json:"value"`
	Appraiser   string    `json:"appraiser"`
	AppraisedOn term.Date `json:"appraised_on"`
	Method      string    `json:"method"`
	Seq         int64     `json:"seq"` // the entry that recorded it
}

// LoanToValue is amount ÷ value with 4 decimals, rounded half away from zero ("0.5000"):
// (2·amount·10⁴ + value) div (2·value), exact in big integers.
func LoanToValue(amount, value Money) string {
	a, v := big.NewInt(int64(amount)), big.NewInt(int64(value))
	num := new(big.Int).Mul(a, big.NewInt(20000))
	num.Add(num, v)
	n := num.Quo(num, v.Mul(v, big.NewInt(2)))
	s := fmt.Sprintf("%05s", n.String())
	return s[:len(s)-4] + "." + s[len(s)-4:]
}

// latestAppraisal is the appraisal the ratio divides by: the latest valuation date, then the
// latest entry, then the last in its list.
func latestAppraisal(as []Appraisal) (Appraisal, bool) {
	if len(as) == 0 {
		return Appraisal{}, false
	}
	best := as[0]
	for _, a := range as[1:] {
		if a.AppraisedOn.After(best.AppraisedOn) || (a.AppraisedOn == best.AppraisedOn && a.Seq >= best.Seq) {
			best = a
		}
	}
	return best, true
}

// setValuation fills a pledge's appraisals and loan-to-value ratio.
func (p *Pledge) setValuation(as []Appraisal) {
	p.Appraisals = as
	p.LoanToValue = ""
	if a, ok := latestAppraisal(as); ok {
		p.LoanToValue = LoanToValue(p.Amount, a.Value)
	}
}

// recordedValuation is setValuation for a registration just written at seq.
func (p *Pledge) recordedValuation(as []appraisalPayload, seq int64) {
	out := make([]Appraisal, len(as))
	for i, a := range as {
		out[i] = Appraisal{Value: Money(a.ValueFen), Appraiser: a.Appraiser, AppraisedOn: a.AppraisedOn, Method: a.Method, Seq: seq}
	}
	p.setValuation(out)
}

// pledgeTerms are a loaded pledge's appraisals (JSON) and the terms of a debt_to_equity or
// reverse_licence realisation, as loadPledges reads them.
type pledgeTerms struct {
	appraisals, holderName, share, licenseeName string
	holder, licensee                            *uuid.UUID
	licenceEnds                                 *string
}

// attach sets p's valuation and its realisation's terms.
func (t pledgeTerms) attach(p *Pledge) error {
	var raw []struct {
		ValueFen    int64     `json:"value_fen"`
		Appraiser   string    `json:"appraiser"`
		AppraisedOn term.Date `json:"appraised_on"`
		Method      string    `json:"method"`
		Seq         int64     `json:"seq"`
	}
	if err := json.Unmarshal([]byte(t.appraisals), &raw); err != nil {
		return fmt.Errorf("registry: pledge %s appraisals: %w", p.ID, err)
	}
	as := make([]Appraisal, len(raw))
	for i, a := range raw {
		as[i] = Appraisal{Value: Money(a.ValueFen), Appraiser: a.Appraiser, AppraisedOn: a.AppraisedOn, Method: a.Method, Seq: a.Seq}
	}
	p.setValuation(as)
	if r := p.Realisation; r != nil {
		if t.holder != nil {
			r.EquityHolder, r.EquityShare = &Owner{ID: *t.holder, Name: t.holderName}, t.share
		}
		if t.licensee != nil {
			r.Licensee, r.LicenceEndsOn = &Owner{ID: *t.licensee, Name: t.licenseeName}, parseDateCol(t.licenceEnds)
		}
	}
	return nil
}
