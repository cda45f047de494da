package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"ipledger/ledger"
	"ipledger/ledger/pgcopy"
	"ipledger/registry/ident"
	"ipledger/registry/term"
)

const kindAssetRegistered = "asset.registered"

// CategoryTreeVine marks a plant variety of trees or vines (the longer term).
const CategoryTreeVine = "tree_vine"

// Attributes are kind-specific facts recorded at registration.
type Attributes struct {
	IPC      []string `json:"ipc,omitempty"`      // patents: IPC classes, e.g. "H01M10/0525"
	Category string   `json:"category,omitempty"` // plant_variety: "tree_vine" or ""
}

// AssetInput registers an asset. Number may be written in any accepted spelling
// (ident.Canonical). RegionCode defaults to the first owner's unit. For trademarks and GI
// marks GrantedOn is the registration date; for GI products and copyrights it is the
// announcement / registration date.
type AssetInput struct {
	Kind       ident.Kind
	Number     string
	Title      string
	OwnerIDs   []uuid.UUID
	RegionCode string
	FiledOn    term.Date
	GrantedOn  term.Date
	Attributes Attributes
}

// Owner is an asset owner, with the name it has now.
type Owner struct {
	ID   uuid.UUID `json:"id"`
	Name string    `json:"name"`
}

// HighValue says whether an invention patent is high-value on the as-of date and which
// criteria hold (they are listed even when the patent is not valid that day).
type HighValue struct {
	Value    bool     `json:"value"`
	Criteria []string `json:"criteria"`
}

// FamilyMember is an overseas member of a patent's family.
type FamilyMember struct {
	Country   string    `json:"country"`
	Number    string    `json:"number"`
	Date      term.Date `json:"date"`
	Status    string    `json:"status,omitempty"` // granted, pending, or "" when recorded without one
	GrantedOn term.Date `json:"granted_on"`
}

// Award is a prize a patent won.
type Award struct {
	Award string    `json:"award"`
	Level string    `json:"level,omitempty"`
	On    term.Date `json:"on"`
}

type assetPayload struct {
	ID             uuid.UUID   `json:"id"`
	Kind           ident.Kind  `json:"kind"`
	Number         string      `json:"number"`
	Title          string      `json:"title"`
	OwnerIDs       []uuid.UUID `json:"owner_ids"`
	RegionCode     string      `json:"region_code"`
	RegionExplicit bool        `json:"region_explicit,omitempty"`
	FiledOn        term.Date   `json:"filed_on"`
	GrantedOn      term.Date   `json:"granted_on"`
	Attributes     Attributes  `json:"attributes"`
}

// RegisterAsset records a new asset (asset.registered) and returns it as of today. A kind and
// number registered already is a Conflict (asset_exists) whose Ref is the existing asset.
func (s *Service) RegisterAsset(ctx context.Context, in AssetInput) (Asset, error) {
	res, err := s.assets.do(ctx, in) // RegisterAssets, with the calls made at the same time
	if err != nil {
		return Asset{}, err
	}
	if res.Err != nil {
		return Asset{}, res.Err
	}
	if res.Unchanged {
		e := Errorf(Conflict, "asset_exists", "number", "this %s is registered already", in.Kind)
		e.Ref = res.ID.String()
		return Asset{}, e
	}
	// The answer is what was written (as of today), with the owners' names read by the write.
	a := res.asset
	if today := s.Today(); today != a.AsOf {
		return s.getAsset(ctx, s.l.DB(), res.ID, today) // the day turned during the write
	}
	return a, nil
}

// BatchResult is the outcome of one input of a batch write (RegisterAssets, AssetEvents,
// RegisterPledges, PledgeEvents).
type BatchResult struct {
	ID        uuid.UUID // the new asset or pledge (the existing asset when Unchanged); the subject of an event
	Unchanged bool      // the asset exists with identical data: nothing recorded
	Err       *Error    // the input was refused; the others are not affected
}

// RegisterAssets records many assets in one ledger write (imports). An input whose kind and
// number exist already with identical data is reported Unchanged (so a re-import adds nothing);
// with different data it is refused with asset_exists.
func (s *Service) RegisterAssets(ctx context.Context, ins []AssetInput) ([]BatchResult, error) {
	b, err := s.PrepareAssets(ctx, ins)
	if err != nil {
		return nil, err
	}
	return s.RegisterPrepared(ctx, b)
}

// RegisterPrepared is RegisterAssets of a batch made ready by PrepareAssets.
func (s *Service) RegisterPrepared(ctx context.Context, b *AssetBatch) ([]BatchResult, error) {
	return batchResults(s.registerPrepared(ctx, b, false))
}

// assetOutcome is an asset registration's result and, for a new asset, the asset as recorded,
// as of the day it was registered (owners without names).
type assetOutcome struct {
	BatchResult
	asset Asset
}

// registerAssets is RegisterAssets with each new asset as recorded (RegisterAsset's answer),
// for the calls gathered from single registrations (gather.go): nothing is made ahead, since a
// gatherer writes one batch at a time and PrepareAssets' reads would lengthen each (as for
// pledges: registerPledges).
func (s *Service) registerAssets(ctx context.Context, ins []AssetInput) ([]assetOutcome, error) {
	return s.registerPrepared(ctx, s.prepareAssets(ins), true)
}

// AssetBatch is a batch of registrations made ready for its ledger write (PrepareAssets): the
// inputs checked, each new asset's id given, and what its write appends and projects made
// ahead — its payload in the ledger's canonical form, its attributes, its spans —
// with its owners' region and the policy as they were read then. The write reads both again
// and remakes what they changed. That work is most of a bulk write's own: made ahead, it is
// done while the batch before holds the ledger's one committer (importer), rather than in the
// committer's time between two statements.
type AssetBatch struct {
	today    term.Date
	base     []assetOutcome
	payloads []*assetPayload // by input, with its id; nil where base holds the refusal
	owners   []string        // the payloads' owners, each once
	made     []*madeAsset    // by input; nil where nothing was made ahead (an unknown owner)
	pol      policy          // the policy the made assets were made with
	all      []*madeAsset    // the made assets in order, and their rows: the write's if it writes these
	rows     *assetRows      // nil for fewer than pgcopy.MinRows assets, whose rows go in the statement's text
}

// madeAsset is what registering one asset appends and projects.
type madeAsset struct {
	p     assetPayload     // the payload, its region defaulted
	canon ledger.Canonical // p as the ledger hashes it; empty in a replay (the entry has it)
	attrs string           // p.Attributes as JSON
	spans []span           // its spans: a new asset's timeline folds from its payload alone
}

// PrepareAssets checks a batch of registrations as far as it can without the write, and makes
// ahead what the write will append and project (AssetBatch). It reads the owners' regions and
// the policy, outside any write: what it makes is checked against them again in the write.
func (s *Service) PrepareAssets(ctx context.Context, ins []AssetInput) (*AssetBatch, error) {
	b := s.prepareAssets(ins)
	if len(b.owners) == 0 {
		return b, nil
	}
	regions, err := partyRegions(ctx, s.db, b.owners)
	if err != nil {
		return nil, err
	}
	if b.pol, err = readPolicy(ctx, s.db); err != nil {
		return nil, err
	}
	for i, p := range b.payloads {
		if p == nil {
			continue
		}
		q := *p
		if q.RegionCode == "" {
			r, ok := regions[q.OwnerIDs[0]]
			if !ok {
				continue // refused in the write (owner_unknown), unless the owner is there by then
			}
			q.RegionCode = r
		}
		if b.made[i], err = makeAsset(q, b.pol, true); err != nil {
			return nil, err
		}
	}
	for _, m := range b.made {
		if m != nil {
			b.all = append(b.all, m)
		}
	}
	if len(b.all) >= pgcopy.MinRows {
		b.rows = newAssetRows(b.all)
	}
	return b, nil
}

// prepareAssets is PrepareAssets without its reads: the inputs checked and given ids, nothing
// made ahead (the write makes it all).
func (s *Service) prepareAssets(ins []AssetInput) *AssetBatch {
	b := &AssetBatch{today: s.Today(), base: make([]assetOutcome, len(ins)), payloads: make([]*assetPayload, len(ins)),
		made: make([]*madeAsset, len(ins))}
	seen := map[uuid.UUID]bool{}
	for i, in := range ins {
		p, err := prepareAsset(in, b.today)
		if err != nil {
			b.base[i].Err = err
			continue
		}
		p.ID = newID()
		b.payloads[i] = p
		for _, o := range p.OwnerIDs {
			if !seen[o] {
				seen[o] = true
				b.owners = append(b.owners, o.String())
			}
		}
	}
	return b
}

// makeAsset makes what registering p appends (write: its canonical payload; a replay has the
// entry's) and projects, with the policy pol.
func makeAsset(p assetPayload, pol policy, write bool) (*madeAsset, error) {
	m := &madeAsset{p: p}
	if write {
		var err error
		if m.canon, err = ledger.CanonicalPayload(&m.p); err != nil {
			return nil, fmt.Errorf("registry: asset payload: %w", err)
		}
	}
	a, err := json.Marshal(p.Attributes)
	if err != nil {
		return nil, fmt.Errorf("registry: asset attributes: %w", err)
	}
	m.attrs = string(a)
	f := facts{Kind: p.Kind, FiledOn: p.FiledOn, GrantedOn: p.GrantedOn, Region: p.RegionCode, Owners: p.OwnerIDs, Attrs: p.Attributes}
	m.spans = fold(f, nil, pol, nil).spans()
	return m, nil
}

// registerPrepared writes b; when answer is set, with each new asset as recorded (a bulk load
// asks for none: folding every asset again for answers nobody reads).
func (s *Service) registerPrepared(ctx context.Context, b *AssetBatch, answer bool) ([]assetOutcome, error) {
	today, payloads := b.today, b.payloads
	return writeResults(ctx, s, b.base, func(ctx context.Context, tx *ledger.Tx, out []assetOutcome) (err error) {
		db := tx.DB()
		// Owners and units, in bulk.
		ownerRegion, ownerName, err := partyRegionsNames(ctx, db, b.owners)
		if err != nil {
			return err
		}
		units, err := unitCodes(ctx, db)
		if err != nil {
			return err
		}
		existing, err := existingAssets(ctx, db, payloads)
		if err != nil {
			return err
		}
		// Check every input against the register and the inputs before it (a payload is the
		// write's own: a run again starts from PrepareAssets').
		var fresh []int
		var ps []assetPayload
		seen := map[string]int{} // index in ps
		for i, p := range payloads {
			if p == nil {
				continue
			}
			p := *p
			if e := resolveAsset(&p, ownerRegion, units); e != nil {
				out[i].Err = e
				continue
			}
			key := numberKey(p.Kind, p.Number)
			if ex, ok := existing[key]; ok {
				if ex.same(&p) {
					out[i].BatchResult = BatchResult{ID: ex.p.ID, Unchanged: true}
					continue
				}
				e := Errorf(Conflict, "asset_exists", "number", "a %s numbered %s is registered already", p.Kind, p.Number)
				e.Ref = ex.p.ID.String()
				out[i].Err = e
				continue
			}
			if k, ok := seen[key]; ok {
				prev := &ps[k]
				if samePayload(prev, &p) {
					out[i].BatchResult = BatchResult{ID: prev.ID, Unchanged: true}
					continue
				}
				e := Errorf(Conflict, "asset_exists", "number", "a %s numbered %s is registered already", p.Kind, p.Number)
				e.Ref = prev.ID.String()
				out[i].Err = e
				continue
			}
			out[i].ID = p.ID
			fresh = append(fresh, i)
			ps = append(ps, p)
			seen[key] = len(ps) - 1
		}
		if len(ps) == 0 {
			return nil // a re-import: nothing new, nothing more to read
		}
		pol, err := loadPolicy(ctx, db)
		if err != nil {
			return err
		}
		// What was made ahead stands unless the policy or the asset's region has changed since.
		samePol := reflect.DeepEqual(pol, b.pol)
		made := make([]*madeAsset, len(ps))
		for k, i := range fresh {
			if m := b.made[i]; m != nil && samePol && m.p.RegionCode == ps[k].RegionCode {
				made[k] = m
			} else if made[k], err = makeAsset(ps[k], pol, true); err != nil {
				return err
			}
		}
		var rows *assetRows
		if slices.Equal(made, b.all) { // every asset made ahead is written, as made
			rows = b.rows
		}
		draft := func(k int) ledger.Draft {
			return ledger.Draft{Kind: kindAssetRegistered, Subject: "asset/" + ps[k].ID.String(), EffectiveOn: today.Time(),
				Payload: made[k].canon}
		}
		// The entries are numbered one after another from the first: the projection's rows
		// are written on the write's connection while the rest are appended here (hashing),
		// instead of after them.
		first, err := tx.Append(draft(0))
		if err != nil {
			return err
		}
		seqs := make([]int64, len(ps))
		for k := range seqs {
			seqs[k] = first.Seq + int64(k)
		}
		projected := background(func() error { return projectAssets(ctx, db, made, seqs, rows) })
		// Wait for the projection however this returns, a panic included: its statements are
		// this write's, and must not run on after the ledger rolls the write back.
		defer func() {
			if perr := <-projected; err == nil {
				err = perr
			}
		}()
		for k := 1; k < len(ps); k++ { // Tx.Append numbers in memory, one after another
			if _, err := tx.Append(draft(k)); err != nil {
				return err
			}
		}
		if !answer {
			return nil
		}
		// The answers: a new asset folds from its payload alone (no events, no pledges yet).
		for k, i := range fresh {
			p := &ps[k]
			l := &loaded{id: p.ID, number: p.Number, title: p.Title, f: facts{Kind: p.Kind, FiledOn: p.FiledOn,
				GrantedOn: p.GrantedOn, Region: p.RegionCode, Owners: p.OwnerIDs, Attrs: p.Attributes}}
			out[i].asset = assetAt(l, pol, today, false)
			for j := range out[i].asset.Owners {
				out[i].asset.Owners[j].Name = ownerName[out[i].asset.Owners[j].ID]
			}
		}
		return nil
	})
}

// prepareAsset checks what needs no database: kind, number, title, dates, attributes.
func prepareAsset(in AssetInput, today term.Date) (*assetPayload, *Error) {
	if !in.Kind.Valid() {
		return nil, Errorf(Invalid, ident.CodeKindUnknown, "kind", "unknown asset kind %q", in.Kind)
	}
	num, err := ident.Canonical(in.Kind, in.Number)
	if err != nil {
		e, _ := AsError(identError(err, "number"))
		return nil, e
	}
	title := strings.TrimSpace(in.Title)
	if title == "" {
		return nil, Errorf(Invalid, "title_required", "title", "an asset needs a title")
	}
	if err := CheckText("title", title, false); err != nil {
		return nil, err
	}
	if len(in.OwnerIDs) == 0 {
		return nil, Errorf(Invalid, "owners_required", "owner_ids", "an asset needs at least one owner")
	}
	for i, o := range in.OwnerIDs {
		if slices.Contains(in.OwnerIDs[:i], o) {
			return nil, Errorf(Invalid, "owner_duplicate", fmt.Sprintf("owner_ids[%d]", i), "owner %s is listed twice", o)
		}
	}
	for _, d := range []struct {
		d     term.Date
		field string
	}{{in.FiledOn, "filed_on"}, {in.GrantedOn, "granted_on"}} {
		if d.d.After(today) {
			return nil, Errorf(Invalid, "date_in_future", d.field, "%s is after today (%s)", d.d, today)
		}
	}
	if !in.FiledOn.IsZero() && !in.GrantedOn.IsZero() && in.GrantedOn.Before(in.FiledOn) {
		return nil, Errorf(Invalid, "granted_before_filed", "granted_on", "granted on %s, before it was filed (%s)", in.GrantedOn, in.FiledOn)
	}
	attrs := Attributes{Category: in.Attributes.Category}
	switch {
	case in.Kind.IsPatent():
		if in.FiledOn.IsZero() {
			return nil, Errorf(Invalid, "filed_on_required", "filed_on", "a patent's term runs from its filing date")
		}
		if y := ident.PatentFilingYear(num); y != in.FiledOn.Year() {
			return nil, Errorf(Invalid, "filing_year_mismatch", "filed_on",
				"the application number says it was filed in %d, the filing date says %d", y, in.FiledOn.Year())
		}
		if err := ident.CheckPatentFiledOn(num, in.FiledOn.Time()); err != nil {
			e, _ := AsError(identError(err, "filed_on"))
			return nil, e
		}
		for i, c := range in.Attributes.IPC {
			c = normIPC(c)
			if !ipcRE.MatchString(c) {
				return nil, Errorf(Invalid, "ipc_format", fmt.Sprintf("attributes.ipc[%d]", i), "%q is not an IPC class (e.g. H01M10/0525)", in.Attributes.IPC[i])
			}
			if !slices.Contains(attrs.IPC, c) {
				attrs.IPC = append(attrs.IPC, c)
			}
		}
	case len(in.Attributes.IPC) > 0:
		return nil, Errorf(Invalid, "ipc_not_patent", "attributes.ipc", "IPC classes are recorded on patents only")
	}
	switch {
	case in.Kind == ident.PlantVariety:
		if attrs.Category != "" && attrs.Category != CategoryTreeVine {
			return nil, Errorf(Invalid, "category_unknown", "attributes.category", "a plant variety's category is %q or empty", CategoryTreeVine)
		}
		if in.FiledOn.IsZero() && in.GrantedOn.IsZero() {
			return nil, Errorf(Invalid, "filed_on_required", "filed_on", "a plant variety needs its application date")
		}
	case attrs.Category != "":
		return nil, Errorf(Invalid, "category_not_applicable", "attributes.category", "category applies to plant varieties only")
	case in.Kind.IsTrademarkLike():
		// A mark may be registered as an application (granted later) or as a registration.
		if in.FiledOn.IsZero() && in.GrantedOn.IsZero() {
			return nil, Errorf(Invalid, "granted_on_required", "granted_on", "a mark needs its registration date (or its filing date, if not yet registered)")
		}
	case !needsGrant(in.Kind):
		if in.GrantedOn.IsZero() && in.FiledOn.IsZero() {
			return nil, Errorf(Invalid, "granted_on_required", "granted_on", "a %s needs its registration or announcement date (granted_on)", in.Kind)
		}
	}
	return &assetPayload{Kind: in.Kind, Number: num, Title: title, OwnerIDs: slices.Clone(in.OwnerIDs),
		RegionCode: in.RegionCode, RegionExplicit: in.RegionCode != "",
		FiledOn: in.FiledOn, GrantedOn: in.GrantedOn, Attributes: attrs}, nil
}

// resolveAsset checks owners and the unit, and fills the default region.
func resolveAsset(p *assetPayload, ownerRegion map[uuid.UUID]string, units map[string]bool) *Error {
	for i, o := range p.OwnerIDs {
		if _, ok := ownerRegion[o]; !ok {
			return Errorf(Invalid, "owner_unknown", fmt.Sprintf("owner_ids[%d]", i), "no party %s", o)
		}
	}
	if p.RegionCode == "" {
		p.RegionCode = ownerRegion[p.OwnerIDs[0]]
	}
	if !units[p.RegionCode] {
		return Errorf(Invalid, "region_unknown", "region_code",
			"%q is not one of the city's county-level units (the city code %s itself is not a unit)", p.RegionCode, CityCode)
	}
	return nil
}

func partyRegions(ctx context.Context, db bun.IDB, ids []string) (map[uuid.UUID]string, error) {
	return partyColumn(ctx, db, ids, "region_code")
}

// partyRegionsNames maps party ids to their region codes and names, in one query.
func partyRegionsNames(ctx context.Context, db bun.IDB, ids []string) (regions, names map[uuid.UUID]string, err error) {
	regions, names = map[uuid.UUID]string{}, map[uuid.UUID]string{}
	if len(ids) == 0 {
		return regions, names, nil
	}
	rows, err := db.QueryContext(ctx, `SELECT id, region_code, name FROM registry.parties WHERE id = ANY(?::uuid[])`, pgdialect.Array(ids))
	if err != nil {
		return nil, nil, fmt.Errorf("registry: party regions and names: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id uuid.UUID
		var region, name string
		if err := rows.Scan(&id, &region, &name); err != nil {
			return nil, nil, fmt.Errorf("registry: party regions and names: %w", err)
		}
		regions[id], names[id] = region, name
	}
	return regions, names, rows.Err()
}

// partyColumn maps party ids to one of their text columns (a constant of the caller's).
func partyColumn(ctx context.Context, db bun.IDB, ids []string, column string) (map[uuid.UUID]string, error) {
	out := map[uuid.UUID]string{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := db.QueryContext(ctx, `SELECT id, `+column+` FROM registry.parties WHERE id = ANY(?::uuid[])`, pgdialect.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("registry: party %s: %w", column, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id uuid.UUID
		var v string
		if err := rows.Scan(&id, &v); err != nil {
			return nil, err
		}
		out[id] = v
	}
	return out, rows.Err()
}

func unitCodes(ctx context.Context, db bun.IDB) (map[string]bool, error) {
	rows, err := db.QueryContext(ctx, `SELECT code FROM registry.regions WHERE is_unit`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out[c] = true
	}
	return out, rows.Err()
}

// existingAsset is an asset already registered, as an import would describe it now.
type existingAsset struct {
	p   assetPayload // current owners, region and grant date
	reg assetPayload // as registered: the same row imported again after its events is unchanged too
}

func (x existingAsset) same(p *assetPayload) bool {
	for _, e := range []*assetPayload{&x.p, &x.reg} {
		q := *p
		if !q.RegionExplicit {
			q.RegionCode = e.RegionCode // compared after defaulting, below
		}
		if samePayload(e, &q) {
			return true
		}
	}
	return false
}

func samePayload(a, b *assetPayload) bool {
	return a.Kind == b.Kind && a.Number == b.Number && a.Title == b.Title && slices.Equal(a.OwnerIDs, b.OwnerIDs) &&
		a.RegionCode == b.RegionCode && a.FiledOn == b.FiledOn && a.GrantedOn == b.GrantedOn &&
		slices.Equal(a.Attributes.IPC, b.Attributes.IPC) && a.Attributes.Category == b.Attributes.Category
}

func existingAssets(ctx context.Context, db bun.IDB, ps []*assetPayload) (map[string]existingAsset, error) {
	var numbers []string
	want := map[string]bool{}
	for _, p := range ps {
		if p != nil {
			numbers = append(numbers, p.Number)
			want[numberKey(p.Kind, p.Number)] = true
		}
	}
	out := map[string]existingAsset{}
	if len(numbers) == 0 {
		return out, nil
	}
	// First the ids, by number alone: one probe of registry.assets' number index per number
	// (LATERAL with LIMIT is not flattened into a join, so the plan stays a loop of probes even
	// while a bulk load outgrows the table's statistics; the join on kind and number it replaces
	// was a hash join over the whole table, and estimated costs past jit_above_cost spent
	// ~170 ms a batch compiling). The kind is matched here, the mark kinds sharing one number
	// space (numberKey); a number has at most one asset per kind.
	rows, err := db.QueryContext(ctx, `SELECT a.id, a.kind, a.number FROM unnest(?::text[]) AS q(number)
		CROSS JOIN LATERAL (SELECT x.id, x.kind, x.number FROM registry.assets x WHERE x.number = q.number LIMIT ?) a`,
		pgdialect.Array(numbers), len(ident.Kinds()))
	if err != nil {
		return nil, fmt.Errorf("registry: existing assets: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id, kind, number string
		if err := rows.Scan(&id, &kind, &number); err != nil {
			rows.Close()
			return nil, fmt.Errorf("registry: existing assets: %w", err)
		}
		if want[numberKey(ident.Kind(kind), number)] {
			ids = append(ids, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(ids) == 0 {
		return out, err
	}
	rows, err = db.QueryContext(ctx, `SELECT a.id, a.kind, a.number, a.title, a.region_code, a.filed_on::text, a.granted_on::text,
		a.attributes::text, coalesce((SELECT array_agg(o.party_id ORDER BY o.position) FROM registry.asset_owners o WHERE o.asset_id = a.id), '{}'),
		a.registered_owners, a.registered_region, a.registered_granted_on::text
		FROM registry.assets a WHERE a.id = ANY(?::uuid[])`, pgdialect.Array(ids))
	if err != nil {
		return nil, fmt.Errorf("registry: existing assets: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var x existingAsset
		var kind, attrs, regRegion string
		var filed, granted, regGranted *string
		var regOwners []uuid.UUID
		if err := rows.Scan(&x.p.ID, &kind, &x.p.Number, &x.p.Title, &x.p.RegionCode, &filed, &granted, &attrs, pgdialect.Array(&x.p.OwnerIDs),
			pgdialect.Array(&regOwners), &regRegion, &regGranted); err != nil {
			return nil, err
		}
		x.p.Kind = ident.Kind(kind)
		x.p.FiledOn, x.p.GrantedOn = parseDateCol(filed), parseDateCol(granted)
		if err := json.Unmarshal([]byte(attrs), &x.p.Attributes); err != nil {
			return nil, err
		}
		// As registered: what no event changes is the row's own.
		x.reg = x.p
		x.reg.OwnerIDs, x.reg.RegionCode, x.reg.GrantedOn = regOwners, regRegion, parseDateCol(regGranted)
		out[numberKey(x.p.Kind, x.p.Number)] = x
	}
	return out, rows.Err()
}

// numberKey identifies a registration number within its number space: the mark kinds share
// one (a trademark registration number names one mark, whether it is recorded as an ordinary
// mark or as a GI certification or collective mark).
func numberKey(kind ident.Kind, number string) string {
	if kind.IsTrademarkLike() {
		return "mark\x00" + number
	}
	return string(kind) + "\x00" + number
}
