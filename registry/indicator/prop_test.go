package indicator

import (
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"math/big"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"pgregory.net/rapid"

	"ipledger/ledger"
	"ipledger/registry"
	"ipledger/registry/ident"
	"ipledger/registry/term"
)

var unitCodes = []string{"150502", "150521", "150522", "150523", "150524", "150525", "150526", "150571", "150581"}

// TestPropertyIndicators builds random histories through the registry and pledge APIs —
// backdated events, corrections, transfers across units, pledges with amendments, population
// corrections — and checks every indicator for random (region, as_of, known_at) against a plain
// fold over the ledger entries (oracle below), which shares no SQL with Compute; and rule 4's
// count in every region as known around each entry that can change a family member.
func TestPropertyIndicators(t *testing.T) {
	// 25 histories by default (each is a fresh database): fast enough for -race. More with
	// -rapid.checks=N.
	explicit := false
	flag.Visit(func(fl *flag.Flag) { explicit = explicit || fl.Name == "rapid.checks" })
	if !explicit {
		_ = flag.Set("rapid.checks", "25")
	}
	rapid.Check(t, func(rt *rapid.T) {
		f := newFixture(t)
		// The histories share t, whose cleanups run only at the end: free this one's
		// connections when it ends, or 25 histories exhaust the server's connection slots.
		rt.Cleanup(func() { f.l.Close(); f.db.App.Close() })
		// Checkpoints of the count log (migration 0006) every few entries, or (0) none near.
		if every := rapid.SampledFrom([]int{0, 1, 3, 5, 11}).Draw(rt, "checkpointEvery"); every > 0 {
			super := f.db.Super(t)
			_, err := super.ExecContext(f.ctx, `UPDATE registry.indicator_checkpoint_every SET every = ?`, every)
			super.Close() // now: the histories share t, and its cleanups run only at the end
			if err != nil {
				rt.Fatal(err)
			}
		}
		genHistory(rt, f)
		entries := allEntries(t, f)
		for i := 0; i < 8; i++ {
			region := rapid.SampledFrom(append([]string{registry.CityCode}, unitCodes...)).Draw(rt, "region")
			asOf := rapid.SampledFrom([]term.Date{d("2024-02-29"), d("2025-12-31"), d("2026-03-01"), d("2021-01-01")}).Draw(rt, "asOfFixed")
			switch rapid.IntRange(0, 2).Draw(rt, "dateChoice") {
			case 1:
				asOf = d("2018-01-01").AddDays(rapid.IntRange(0, 2981).Draw(rt, "asOf"))
			case 2: // on or just before some event's effective date: where off-by-one errors live
				e := entries[rapid.IntRange(0, len(entries)-1).Draw(rt, "eventDay")]
				asOf = term.FromTime(e.EffectiveOn).AddDays(-rapid.IntRange(0, 1).Draw(rt, "dayBefore"))
				if asOf.Before(d("2000-01-01")) || asOf.After(testToday) {
					asOf = testToday
				}
			}
			var knownAt time.Time
			if rapid.Bool().Draw(rt, "withKnownAt") {
				knownAt = entries[rapid.IntRange(0, len(entries)-1).Draw(rt, "knownAt")].RecordedAt
			}
			got, err := f.ind.Compute(f.ctx, region, asOf, knownAt)
			if err != nil {
				rt.Fatalf("compute: %v", err)
			}
			want := oracle(entries, region, asOf, knownAt)
			if (got.Population == nil) != (want.pop == nil) || (got.Population != nil && *got.Population != *want.pop) {
				rt.Fatalf("%s %s known at %v: population %+v, want %+v", region, asOf, knownAt, got.Population, want.pop)
			}
			for _, v := range got.Indicators {
				w, ok := want.values[v.Code]
				switch {
				case !ok && v.Value != nil:
					rt.Fatalf("%s %s known at %v: %s = %s, want null", region, asOf, knownAt, v.Code, *v.Value)
				case ok && (v.Value == nil || *v.Value != w):
					rt.Fatalf("%s %s known at %v: %s = %s, want %s", region, asOf, knownAt, v.Code, v.str(), w)
				}
				if wb, ok := want.breakdown[v.Code]; ok && !maps.Equal(breakdownOf(v), wb) {
					rt.Fatalf("%s %s known at %v: %s breakdown %v, want %v", region, asOf, knownAt, v.Code, breakdownOf(v), wb)
				}
			}
		}
		checkForeignApplications(rt, f, entries)
		checkFamilyBackfill(rt, f)
	})
}

// checkFamilyBackfill: migration 0022's backfill from registry.asset_events writes the rows
// of registry.foreign_family_members that the projection wrote.
func checkFamilyBackfill(rt *rapid.T, f *fixture) {
	rows := func() string {
		var s string
		if err := f.db.App.QueryRowContext(f.ctx, `SELECT coalesce(string_agg(r, E'\n' ORDER BY r), '')
			FROM (SELECT row_to_json(t)::text r FROM registry.foreign_family_members t) x`).Scan(&s); err != nil {
			rt.Fatal(err)
		}
		return s
	}
	live := rows()
	if err := f.db.Remigrate(f.ctx, 21); err != nil {
		rt.Fatal(err)
	}
	if got := rows(); got != live {
		rt.Fatalf("registry.foreign_family_members after 0022's backfill:\n%s\nas projected:\n%s", got, live)
	}
}

// checkForeignApplications checks rule 4's count in every region, as known just before and at
// each entry that can change a family member (the member's own, and every change of unit),
// against the oracle over the entries up to that seq.
func checkForeignApplications(rt *rapid.T, f *fixture, entries []ledger.Entry) {
	asOf := rapid.SampledFrom([]term.Date{testToday, d("2025-12-31"), d("2023-06-30")}).Draw(rt, "famAsOf")
	for i, e := range entries {
		var p struct {
			Type string `json:"type"`
		}
		if strings.HasPrefix(e.Kind, "asset.") {
			mustDecode(e, &p)
		}
		if p.Type != registry.EventForeignFamily && p.Type != registry.EventSetRegion && p.Type != registry.EventTransfer {
			continue
		}
		for _, j := range []int{i - 1, i} {
			if j < 0 {
				continue
			}
			for _, region := range append([]string{registry.CityCode}, unitCodes...) {
				units, err := regionUnits(f.ctx, f.db.App, region)
				if err != nil {
					rt.Fatal(err)
				}
				got, err := foreignApplications(f.ctx, f.db.App, scope{region: region, units: units, k: entries[j].Seq}, asOf)
				if err != nil {
					rt.Fatal(err)
				}
				if want := oracle(entries[:j+1], region, asOf, time.Time{}).values[ForeignApplicationsPeriod]; fmt.Sprint(got) != want {
					rt.Fatalf("%s %s as known at #%d: %s = %d, want %s", region, asOf, entries[j].Seq, ForeignApplicationsPeriod, got, want)
				}
			}
		}
	}
}

func allEntries(t testing.TB, f *fixture) []ledger.Entry {
	var out []ledger.Entry
	var after int64
	for {
		page, err := ledger.List(f.ctx, f.db.App, ledger.Filter{After: after, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			return out
		}
		out = append(out, page...)
		after = page[len(page)-1].Seq
	}
}

func randDate(rt *rapid.T, label string, from, to term.Date) term.Date {
	return from.AddDays(rapid.IntRange(0, int(days(from, to))).Draw(rt, label))
}

// genHistory records a random history through the registry's API. Refused operations (an
// impossible transition, a right already pledged) are part of the history: nothing is written.
func genHistory(rt *rapid.T, f *fixture) {
	today := testToday
	var parties []registry.Party
	for i := 0; i < 4; i++ {
		kind := rapid.SampledFrom([]registry.PartyKind{registry.Enterprise, registry.Enterprise, registry.University}).Draw(rt, "partyKind")
		parties = append(parties, f.party(rapid.SampledFrom(unitCodes).Draw(rt, "partyUnit"), kind))
	}
	bank := f.party("150502", registry.Bank)
	kinds := []ident.Kind{ident.InventionPatent, ident.InventionPatent, ident.UtilityModel, ident.Trademark, ident.GICertificationMark,
		ident.GICollectiveMark, ident.GIProduct, ident.SoftwareCopyright, ident.PlantVariety}
	var assets []registry.Asset
	var pledges []uuid.UUID
	nOps := rapid.IntRange(10, 40).Draw(rt, "ops")
	for op := 0; op < nOps; op++ {
		switch c := rapid.IntRange(0, 14).Draw(rt, "op"); {
		case c >= 13 && len(assets) > 0:
			// Rule 4 as known at each seq: a family member of a patent, then changes of its unit
			// recorded after it and dated around its filing day (before, on, after; set_region,
			// or a transfer, which moves a patent whose unit was never set), and the member
			// recorded again (same office and number) with another filing day; as single
			// writes or as one write of several entries.
			a := rapid.SampledFrom(assets).Draw(rt, "famAsset")
			from := maxDate(a.FiledOn, d("2019-06-01"))
			if !a.Kind.IsPatent() || from.After(d("2025-06-30")) {
				continue
			}
			filed := randDate(rt, "famFiled", from, d("2025-06-30"))
			number := "US" + rapid.SampledFrom([]string{"1", "2"}).Draw(rt, "famNumber")
			member := func(on term.Date) registry.EventInput {
				return registry.EventInput{Type: registry.EventForeignFamily, EffectiveOn: minDate(on.AddDays(rapid.IntRange(0, 90).Draw(rt, "famLag")), today),
					Country: "US", FamilyNumber: number, FamilyDate: on}
			}
			items := []registry.AssetEventItem{{AssetID: a.ID, Event: member(filed)}}
			for n := rapid.IntRange(1, 3).Draw(rt, "famMoves"); n > 0; n-- {
				in := registry.EventInput{Type: registry.EventSetRegion, EffectiveOn: filed.AddDays(rapid.IntRange(-1, 1).Draw(rt, "famMoveOn")),
					RegionCode: rapid.SampledFrom(unitCodes).Draw(rt, "famUnit")}
				if rapid.Bool().Draw(rt, "famTransfer") {
					in = registry.EventInput{Type: registry.EventTransfer, EffectiveOn: in.EffectiveOn,
						OwnerIDs: []uuid.UUID{rapid.SampledFrom(parties).Draw(rt, "famOwner").ID}, PledgeeConsent: true}
				}
				items = append(items, registry.AssetEventItem{AssetID: a.ID, Event: in})
			}
			if rapid.Bool().Draw(rt, "famAgain") {
				items = append(items, registry.AssetEventItem{AssetID: a.ID, Event: member(filed.AddDays(rapid.IntRange(-3, 3).Draw(rt, "famAgainShift")))})
			}
			if rapid.Bool().Draw(rt, "famOneWrite") {
				if _, err := f.reg.AssetEvents(f.ctx, items); err != nil {
					rt.Fatalf("family events: %v", err)
				}
				continue
			}
			for _, it := range items {
				_, _ = f.reg.AssetEvent(f.ctx, it.AssetID, it.Event)
			}
		case c == 12:
			// The high-value criterion (4)'s allocation, changed mid-history (rule 3).
			alloc := rapid.SampledFrom([]string{registry.AllocationEqualShare, registry.AllocationFull}).Draw(rt, "allocation")
			if err := f.reg.SetParam(f.ctx, registry.ParamPledgeAllocation, alloc, today); err != nil {
				rt.Fatalf("set allocation: %v", err)
			}
		case c <= 2 || len(assets) == 0:
			k := rapid.SampledFrom(kinds).Draw(rt, "kind")
			owner := rapid.SampledFrom(parties).Draw(rt, "owner")
			in := registry.AssetInput{Kind: k, Title: "资产", OwnerIDs: []uuid.UUID{owner.ID}}
			if rapid.IntRange(0, 4).Draw(rt, "explicit") == 0 {
				in.RegionCode = rapid.SampledFrom(unitCodes).Draw(rt, "assetUnit")
			}
			f.n++
			switch {
			case k.IsPatent():
				filed := randDate(rt, "filed", d("2003-11-01"), d("2024-06-30"))
				if rapid.Bool().Draw(rt, "recent") {
					filed = randDate(rt, "filedRecent", d("2016-01-01"), d("2023-06-30"))
				}
				typ := byte('1')
				if k == ident.UtilityModel {
					typ = '2'
				}
				in.Number, in.FiledOn = patentNo(filed.Year(), typ, f.n), filed
				if rapid.Bool().Draw(rt, "grantedAtRegistration") {
					in.GrantedOn = minDate(filed.AddDays(rapid.IntRange(100, 1500).Draw(rt, "grantLag")), today)
				}
				if k == ident.InventionPatent && rapid.Bool().Draw(rt, "ipc") {
					in.Attributes.IPC = []string{"H01M10/0525"}
				}
			case k.IsTrademarkLike():
				in.Number, in.GrantedOn = fmt.Sprint(40_000_000+f.n), randDate(rt, "registered", d("2008-01-01"), today)
			case k == ident.GIProduct:
				in.Number, in.GrantedOn = fmt.Sprintf("2015-%d", f.n), randDate(rt, "announced", d("2008-01-01"), today)
			case k == ident.SoftwareCopyright:
				day := randDate(rt, "registered", d("2010-01-01"), today)
				in.Number, in.GrantedOn = fmt.Sprintf("%dSR%07d", day.Year(), f.n), day
			case k == ident.PlantVariety:
				filed := randDate(rt, "filed", d("2005-01-01"), d("2024-12-31"))
				in.Number, in.FiledOn = fmt.Sprintf("%d1%06d", filed.Year(), f.n), filed
				if rapid.Bool().Draw(rt, "pvGranted") {
					in.GrantedOn = minDate(filed.AddDays(400), today)
				}
			}
			a, err := f.reg.RegisterAsset(f.ctx, in)
			if err != nil {
				rt.Fatalf("register %s %s: %v", k, in.Number, err)
			}
			assets = append(assets, a)
		case c <= 7:
			a := rapid.SampledFrom(assets).Draw(rt, "asset")
			from := a.FiledOn
			if from.IsZero() || (!a.GrantedOn.IsZero() && a.GrantedOn.After(from)) {
				from = a.GrantedOn
			}
			if from.IsZero() {
				from = d("2008-01-01")
			}
			in := registry.EventInput{
				Type: rapid.SampledFrom([]string{registry.EventGrant, registry.EventRenew, registry.EventLapse, registry.EventLapse, registry.EventRestore,
					registry.EventInvalidate, registry.EventTransfer, registry.EventTransfer, registry.EventSetRegion, registry.EventWellKnown,
					registry.EventForeignFamily, registry.EventDesignate, registry.EventAward}).Draw(rt, "event"),
				EffectiveOn: randDate(rt, "eff", from, today),
			}
			switch in.Type {
			case registry.EventTransfer:
				in.OwnerIDs, in.PledgeeConsent = []uuid.UUID{rapid.SampledFrom(parties).Draw(rt, "newOwner").ID}, true
			case registry.EventSetRegion:
				in.RegionCode = rapid.SampledFrom(unitCodes).Draw(rt, "unit")
			case registry.EventForeignFamily:
				// Pending, granted or (as recorded before family_status) without a status; a
				// granted WO member is refused.
				in.Country = rapid.SampledFrom([]string{"US", "EP", "WO"}).Draw(rt, "familyOffice")
				in.FamilyNumber = in.Country + rapid.SampledFrom([]string{"1", "2"}).Draw(rt, "familyNumber")
				if rapid.Bool().Draw(rt, "familyDate") {
					in.FamilyDate = randDate(rt, "familyFiled", minDate(d("2019-01-01"), in.EffectiveOn), in.EffectiveOn)
				}
				in.FamilyStatus = rapid.SampledFrom([]string{"", registry.FamilyPending, registry.FamilyGranted}).Draw(rt, "familyStatus")
				if in.FamilyStatus == registry.FamilyGranted {
					in.FamilyGrantedOn = randDate(rt, "familyGranted", maxDate(a.FiledOn, in.FamilyDate), in.EffectiveOn)
				}
			case registry.EventDesignate:
				in.Industry = "新材料"
			case registry.EventAward:
				in.Award = registry.AwardChinaPatent
			case registry.EventRenew:
				if cur, err := f.reg.GetAsset(f.ctx, a.ID, today); err == nil && !cur.ExpiresOn.IsZero() {
					in.EffectiveOn = minDate(cur.ExpiresOn.AddDays(-rapid.IntRange(-150, 300).Draw(rt, "renewLead")), today)
				}
			}
			_, _ = f.reg.AssetEvent(f.ctx, a.ID, in)
		case c <= 10:
			if len(pledges) > 0 && rapid.Bool().Draw(rt, "amend") {
				id := rapid.SampledFrom(pledges).Draw(rt, "pledge")
				p, err := f.reg.GetPledge(f.ctx, registry.OfficeViewer(), id)
				if err != nil {
					rt.Fatalf("get pledge: %v", err)
				}
				more := registry.Money(rapid.IntRange(1, 600_000_000).Draw(rt, "increase"))
				_, _ = f.reg.PledgeEvent(f.ctx, registry.OfficeViewer(), id, registry.PledgeEventInput{Type: registry.PledgeAmend,
					EffectiveOn: randDate(rt, "amendOn", p.RegisteredOn, today), Amount: (p.Amount + more).String()})
				continue
			}
			a := rapid.SampledFrom(assets).Draw(rt, "pledgedAsset")
			from := maxDate(a.GrantedOn, d("2019-01-01"))
			if from.After(today) {
				continue
			}
			on := randDate(rt, "pledgeOn", from, today)
			cur, err := f.reg.GetAsset(f.ctx, a.ID, on)
			if err != nil || !cur.Valid {
				continue
			}
			owners := make([]uuid.UUID, len(cur.Owners))
			for i, o := range cur.Owners {
				owners[i] = o.ID
			}
			end := on.AddDays(365)
			if !cur.ExpiresOn.IsZero() {
				end = minDate(end, cur.ExpiresOn)
			}
			// Up to two more rights of the same owners: a pledge's amount is shared (rules 2, 3).
			ids := []uuid.UUID{a.ID}
			for n := rapid.IntRange(0, 2).Draw(rt, "moreRights"); n > 0; n-- {
				b := rapid.SampledFrom(assets).Draw(rt, "moreRight")
				other, err := f.reg.GetAsset(f.ctx, b.ID, on)
				if err != nil || !other.Valid || slices.Contains(ids, b.ID) || len(other.Owners) != len(owners) {
					continue
				}
				same := true
				for i, o := range other.Owners {
					same = same && o.ID == owners[i]
				}
				if same {
					ids = append(ids, b.ID)
					if !other.ExpiresOn.IsZero() {
						end = minDate(end, other.ExpiresOn)
					}
				}
			}
			p, err := f.reg.RegisterPledge(f.ctx, registry.PledgeInput{PledgorIDs: owners, AssetIDs: ids,
				Amount:     registry.Money(rapid.IntRange(100_000, 800_000_000).Draw(rt, "amountFen")).String(),
				ContractNo: fmt.Sprintf("C-%d", op), RegisteredOn: on, EndsOn: end, PledgeeID: bank.ID})
			if err == nil {
				pledges = append(pledges, p.ID)
			}
		default:
			region := rapid.SampledFrom(append([]string{registry.CityCode}, unitCodes...)).Draw(rt, "popRegion")
			if _, err := f.ind.RecordPopulation(f.ctx, PopulationInput{RegionCode: region,
				Year: rapid.IntRange(2019, 2025).Draw(rt, "popYear"), Residents: int64(rapid.IntRange(50_000, 3_000_000).Draw(rt, "residents"))}); err != nil {
				rt.Fatalf("population: %v", err)
			}
		}
	}
}

// ---- the oracle: a plain fold over ledger entries ----

type oEvent struct {
	seq    int64
	typ    string
	on     term.Date
	region string
	fam    oFamily
}

// oFamily is an add_foreign_family event's member.
type oFamily struct {
	Country   string    `json:"country"`
	Number    string    `json:"family_number"`
	Filed     term.Date `json:"family_date"`
	Status    string    `json:"family_status"`
	GrantedOn term.Date `json:"family_granted_on"`
}

type oAsset struct {
	kind           ident.Kind
	filed, granted term.Date
	region         string
	ipc            []string
	treeVine       bool
	evs            []oEvent
	pledges        []uuid.UUID
}

type oFin struct {
	pledge   uuid.UUID
	on       term.Date
	region   string
	pledgors []uuid.UUID
	assets   []uuid.UUID // in the pledge's order
	fen      int64
	reg      bool
}

// share is asset i's equal share of x: amount ÷ n fen rounded down, one more fen for each of
// the first (amount mod n) rights.
func (x oFin) share(i int) int64 {
	n := int64(len(x.assets))
	s := x.fen / n
	if int64(i) < x.fen%n {
		s++
	}
	return s
}

type oResult struct {
	values    map[string]string
	breakdown map[string]map[string]string
	pop       *PopulationUsed
}

func oracle(entries []ledger.Entry, region string, asOf term.Date, knownAt time.Time) oResult {
	assets := map[uuid.UUID]*oAsset{}
	var order []uuid.UUID
	var fins []oFin
	pledgeOf := map[uuid.UUID]oFin{}
	pop := map[string]map[int]int64{}
	partyKind := map[uuid.UUID]string{}
	allocation := registry.AllocationEqualShare
	for _, e := range entries {
		if !knownAt.IsZero() && e.RecordedAt.After(knownAt) {
			break
		}
		on := term.FromTime(e.EffectiveOn)
		switch {
		case e.Kind == "asset.registered":
			var p struct {
				ID         uuid.UUID `json:"id"`
				Kind       string    `json:"kind"`
				Filed      term.Date `json:"filed_on"`
				Granted    term.Date `json:"granted_on"`
				Region     string    `json:"region_code"`
				Attributes struct {
					IPC      []string `json:"ipc"`
					Category string   `json:"category"`
				} `json:"attributes"`
			}
			mustDecode(e, &p)
			assets[p.ID] = &oAsset{kind: ident.Kind(p.Kind), filed: p.Filed, granted: p.Granted, region: p.Region,
				ipc: p.Attributes.IPC, treeVine: p.Attributes.Category == "tree_vine"}
			order = append(order, p.ID)
		case len(e.Kind) > 6 && e.Kind[:6] == "asset.":
			var p struct {
				AssetID uuid.UUID `json:"asset_id"`
				Type    string    `json:"type"`
				Region  string    `json:"region_code"`
			}
			mustDecode(e, &p)
			a := assets[p.AssetID]
			var fam oFamily
			if p.Type == registry.EventForeignFamily {
				mustDecode(e, &fam)
			}
			a.evs = append(a.evs, oEvent{e.Seq, p.Type, on, p.Region, fam})
		case e.Kind == "party.registered":
			var p struct {
				ID   uuid.UUID `json:"id"`
				Kind string    `json:"kind"`
			}
			mustDecode(e, &p)
			partyKind[p.ID] = p.Kind
		case e.Kind == "param.set":
			var p struct {
				Name  string          `json:"name"`
				Value json.RawMessage `json:"value"`
			}
			mustDecode(e, &p)
			if p.Name == registry.ParamPledgeAllocation {
				_ = json.Unmarshal(p.Value, &allocation)
			}
		case e.Kind == "pledge.registered":
			var p struct {
				ID       uuid.UUID   `json:"id"`
				Assets   []uuid.UUID `json:"asset_ids"`
				Pledgors []uuid.UUID `json:"pledgor_ids"`
				Fen      int64       `json:"amount_fen"`
				On       term.Date   `json:"registered_on"`
				Region   string      `json:"region_code"`
			}
			mustDecode(e, &p)
			x := oFin{p.ID, p.On, p.Region, p.Pledgors, p.Assets, p.Fen, true}
			fins = append(fins, x)
			pledgeOf[p.ID] = x
			for _, a := range p.Assets {
				assets[a].pledges = append(assets[a].pledges, p.ID)
			}
		case e.Kind == "pledge.amended":
			var p struct {
				ID  uuid.UUID `json:"pledge_id"`
				Fen int64     `json:"amount_fen"`
			}
			mustDecode(e, &p)
			// Only the part above the highest amount already counted counts.
			if r := pledgeOf[p.ID]; p.Fen > r.fen {
				fins = append(fins, oFin{p.ID, on, r.region, r.pledgors, r.assets, p.Fen - r.fen, false})
				r.fen = p.Fen
				pledgeOf[p.ID] = r
			}
		case e.Kind == KindPopulationRecorded:
			var p populationPayload
			mustDecode(e, &p)
			if pop[p.RegionCode] == nil {
				pop[p.RegionCode] = map[int]int64{}
			}
			pop[p.RegionCode][p.Year] = p.Residents
		}
	}
	inUnits := map[string]bool{}
	if region == registry.CityCode {
		for _, u := range unitCodes {
			inUnits[u] = true
		}
	} else {
		inUnits[region] = true
	}
	res := oResult{values: map[string]string{}}
	counts := map[string]int64{}
	for _, id := range order {
		a := assets[id]
		st := a.at(asOf, fins, pledgeFinancingOf(id, a, fins, allocation))
		if !st.valid || !inUnits[st.region] {
			continue
		}
		k := a.kind
		switch {
		case k == ident.InventionPatent:
			counts[ValidInventionPatents]++
			if st.highValue {
				counts[HighValueInventionPatents]++
			}
			if st.family {
				counts[ForeignFamilyPatents]++
			}
		case k.IsTrademarkLike():
			counts[ValidTrademarks]++
			if st.wellKnown {
				counts[WellKnownMarks]++
			}
			if k != ident.Trademark {
				counts[GIMarks]++
			}
		case k == ident.GIProduct:
			counts[GIProducts]++
		case k == ident.SoftwareCopyright:
			counts[SoftwareCopyrights]++
		case k == ident.PlantVariety:
			counts[PlantVarieties]++
		}
	}
	for _, c := range []string{ValidInventionPatents, HighValueInventionPatents, ForeignFamilyPatents, ValidTrademarks,
		WellKnownMarks, GIMarks, GIProducts, SoftwareCopyrights, PlantVarieties} {
		res.values[c] = fmt.Sprint(counts[c])
	}
	for y := asOf.Year(); y >= 1990; y-- {
		if n, ok := pop[region][y]; ok {
			res.pop = &PopulationUsed{Year: y, Residents: n}
			break
		}
	}
	if res.pop != nil {
		for code, of := range map[string]string{ValidInventionPatentsPer10k: ValidInventionPatents,
			HighValueInventionPatentsPer10k: HighValueInventionPatents, SoftwareCopyrightsPer10k: SoftwareCopyrights} {
			res.values[code] = roundHalfAway(big.NewRat(counts[of]*10_000, res.pop.Residents), 4)
		}
	}
	// Financing (rules 1–3, 6): the plan's line holds a patent or a trademark; the breakdown
	// shares each amount equally among the pledge's rights.
	planLine := func(x oFin) bool {
		for _, a := range x.assets {
			if k := assets[a].kind; k.IsPatent() || k.IsTrademarkLike() {
				return true
			}
		}
		return false
	}
	res.breakdown = map[string]map[string]string{}
	sum := func(code string, plan bool, from, to term.Date) int64 {
		var fen int64
		byKind := map[string]int64{}
		for _, x := range fins {
			if inUnits[x.region] && !x.on.Before(from) && !x.on.After(to) && planLine(x) == plan {
				fen += x.fen
				for i, a := range x.assets {
					byKind[string(assets[a].kind)] += x.share(i)
				}
			}
		}
		if code != "" {
			res.breakdown[code] = map[string]string{}
			for k, v := range byKind {
				if v > 0 {
					res.breakdown[code][k] = fenString(big.NewInt(v))
				}
			}
		}
		return fen
	}
	y0 := term.New(asOf.Year(), 1, 1)
	period := sum(PledgeAmountPeriod, true, d(PlanStart), minDate(asOf, d(PlanEnd)))
	year := sum(PledgeAmountYear, true, y0, asOf)
	prev := sum("", true, term.New(asOf.Year()-1, 1, 1), asOf.AddYears(-1))
	otherPeriod := sum(PledgeOtherAmountPeriod, false, d(PlanStart), minDate(asOf, d(PlanEnd)))
	otherYear := sum(PledgeOtherAmountYear, false, y0, asOf)
	var count int
	enterprises := map[uuid.UUID]bool{}
	for _, x := range fins {
		if x.reg && inUnits[x.region] && !x.on.Before(y0) && !x.on.After(asOf) {
			count++
			for _, p := range x.pledgors {
				if partyKind[p] == string(registry.Enterprise) {
					enterprises[p] = true
				}
			}
		}
	}
	res.values[PledgeAmountPeriod] = fenString(big.NewInt(period))
	res.values[PledgeAmountYear] = fenString(big.NewInt(year))
	res.values[PledgeOtherAmountPeriod] = fenString(big.NewInt(otherPeriod))
	res.values[PledgeOtherAmountYear] = fenString(big.NewInt(otherYear))
	res.values[PledgeCountYear] = fmt.Sprint(count)
	res.values[PledgedEnterprisesYear] = fmt.Sprint(len(enterprises))
	if prev != 0 {
		res.values[PledgeGrowthYoY] = roundHalfAway(big.NewRat((year-prev)*100, prev), 2)
	}
	// New GI marks (rule 9): registered in the span, in the unit of their registration day.
	p0, p1 := d(PlanStart), minDate(asOf, d(PlanEnd))
	var giPeriod, giYear int
	for _, id := range order {
		a := assets[id]
		if a.kind != ident.GICertificationMark && a.kind != ident.GICollectiveMark {
			continue
		}
		reg := a.registeredOn()
		if reg.IsZero() {
			continue
		}
		if st := a.at(reg, nil, nil); !st.valid || !inUnits[st.region] {
			continue
		}
		if !reg.Before(p0) && !reg.After(p1) {
			giPeriod++
		}
		if !reg.Before(y0) && !reg.After(asOf) {
			giYear++
		}
	}
	res.values[GIMarksNewPeriod] = fmt.Sprint(giPeriod)
	res.values[GIMarksNewYear] = fmt.Sprint(giYear)
	// PCT and foreign applications (rule 4): each member once, at its earliest filing date, in
	// the unit of that day.
	var apps int
	for _, id := range order {
		a := assets[id]
		filed := map[string]term.Date{}
		for _, e := range a.evs {
			if e.typ != registry.EventForeignFamily {
				continue
			}
			on := e.fam.Filed
			if on.IsZero() {
				on = e.on
			}
			key := e.fam.Country + "/" + e.fam.Number
			if cur, ok := filed[key]; !ok || on.Before(cur) {
				filed[key] = on
			}
		}
		for _, on := range filed {
			if !on.Before(p0) && !on.After(p1) && inUnits[a.regionOn(on)] {
				apps++
			}
		}
	}
	res.values[ForeignApplicationsPeriod] = fmt.Sprint(apps)
	return res
}

func mustDecode(e ledger.Entry, v any) {
	if err := json.Unmarshal(e.Payload, v); err != nil {
		panic(fmt.Sprintf("%s #%d: %v", e.Kind, e.Seq, err))
	}
}

// pledgeFinancingOf is the financing counted towards the asset's high-value criterion (4):
// of every amount of every pledge that has included it, its equal share (or, with allocation
// full, the whole amount).
func pledgeFinancingOf(id uuid.UUID, a *oAsset, fins []oFin, allocation string) []oFin {
	var out []oFin
	for _, x := range fins {
		for _, p := range a.pledges {
			if x.pledge != p {
				continue
			}
			if allocation == registry.AllocationEqualShare {
				x.fen = x.share(slices.Index(x.assets, id))
			}
			out = append(out, x)
		}
	}
	return out
}

// registeredOn is the grant (registration) date: as registered, or the first grant event.
func (a *oAsset) registeredOn() term.Date {
	if !a.granted.IsZero() {
		return a.granted
	}
	var g term.Date
	for _, e := range a.evs {
		if e.typ == registry.EventGrant && (g.IsZero() || e.on.Before(g)) {
			g = e.on
		}
	}
	return g
}

// regionOn is the unit the asset is attributed to on day: its registration's, or the last
// change in effect by then.
func (a *oAsset) regionOn(day term.Date) string {
	return a.at(day, nil, nil).region
}

type oState struct {
	valid, highValue, wellKnown, family bool
	region                              string
}

// at evaluates the asset on day d directly from its registration and events.
func (a *oAsset) at(day term.Date, _ []oFin, fin []oFin) oState {
	evs := append([]oEvent(nil), a.evs...)
	sort.SliceStable(evs, func(i, j int) bool {
		if c := evs[i].on.Compare(evs[j].on); c != 0 {
			return c < 0
		}
		return evs[i].seq < evs[j].seq
	})
	granted := a.granted
	region := a.region
	var renewals int
	var lapsed, invalidated, wellKnown, family, award, designated term.Date
	first := func(cur, d term.Date) term.Date {
		if cur.IsZero() || d.Before(cur) {
			return d
		}
		return cur
	}
	for _, e := range evs {
		switch e.typ {
		case registry.EventGrant:
			if granted.IsZero() {
				granted = e.on
			}
		case registry.EventRenew:
			renewals++
		case registry.EventLapse:
			lapsed = e.on
		case registry.EventRestore:
			lapsed = term.Date{}
		case registry.EventInvalidate:
			invalidated = first(invalidated, e.on)
		case registry.EventTransfer, registry.EventSetRegion:
			if e.region != "" && !e.on.After(day) {
				region = e.region
			}
		case registry.EventWellKnown:
			wellKnown = first(wellKnown, e.on)
		case registry.EventForeignFamily:
			switch e.fam.Status {
			case registry.FamilyGranted:
				family = first(family, e.fam.GrantedOn)
			case "":
				if e.fam.Country != "WO" {
					family = first(family, e.on)
				}
			}
		case registry.EventAward:
			award = first(award, e.on)
		case registry.EventDesignate:
			designated = first(designated, e.on)
		}
	}
	p := term.DefaultParams()
	var expiry term.Date
	var ok bool
	if a.kind == ident.PlantVariety {
		expiry, ok = term.PlantVarietyExpiry(granted, a.treeVine, p)
	} else {
		expiry, ok = term.Expiry(a.kind, a.filed, granted, p)
	}
	for i := 0; ok && i < renewals; i++ {
		expiry = term.RenewedExpiry(expiry)
	}
	var start term.Date
	switch {
	case a.kind == ident.PlantVariety || a.kind.IsPatent() || a.kind.IsTrademarkLike():
		start = granted // a plant variety counts from the grant of its right
	default:
		start = granted
		if start.IsZero() {
			start = a.filed
		}
	}
	st := oState{region: region}
	st.valid = !start.IsZero() && !day.Before(start) &&
		(!ok || !day.After(expiry)) &&
		(lapsed.IsZero() || day.Before(lapsed)) &&
		(invalidated.IsZero() || day.Before(invalidated))
	if !st.valid {
		return st
	}
	on := func(x term.Date) bool { return !x.IsZero() && !x.After(day) }
	if a.kind == ident.InventionPatent {
		st.family = on(family)
		var sum int64
		var pledgeOn term.Date
		sort.SliceStable(fin, func(i, j int) bool { return fin[i].on.Before(fin[j].on) })
		for _, x := range fin {
			sum += x.fen
			if sum >= 1_000_000_000 {
				pledgeOn = x.on
				break
			}
		}
		strategic := designated
		if len(a.ipc) > 0 && false { // no concordance is loaded in these histories
			strategic = a.filed
		}
		st.highValue = on(strategic) || st.family || on(term.MaintainedSince(a.filed, p.MaintainedYears)) || on(pledgeOn) || on(award)
	}
	if a.kind.IsTrademarkLike() {
		st.wellKnown = on(wellKnown)
	}
	return st
}

func maxDate(a, b term.Date) term.Date {
	if a.After(b) {
		return a
	}
	return b
}
