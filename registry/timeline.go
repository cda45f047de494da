package registry

import (
	"cmp"
	"slices"
	"sort"
	"strings"

	"github.com/google/uuid"

	"ipledger/registry/ident"
	"ipledger/registry/term"
)

// Asset statuses as of a date.
const (
	StatusPending     = "pending"     // filed, not (yet) granted or registered on that date
	StatusValid       = "valid"       // in force
	StatusExpired     = "expired"     // its term ended (a mark not renewed in time)
	StatusLapsed      = "lapsed"      // a patent whose annuity went unpaid, not restored
	StatusInvalidated = "invalidated" // declared invalid or revoked
)

// High-value criteria (docs/DOMAIN.md, High-value invention patents), as the API names them.
const (
	CriterionStrategicIndustry = "strategic_industry"
	CriterionForeignFamily     = "foreign_family"
	CriterionMaintained        = "maintained_10y"
	CriterionPledgeFinancing   = "pledge_financing"
	CriterionAward             = "award"
)

var criteriaOrder = []string{CriterionStrategicIndustry, CriterionForeignFamily, CriterionMaintained, CriterionPledgeFinancing, CriterionAward}

// facts are what an asset's registration fixed.
type facts struct {
	Kind      ident.Kind
	FiledOn   term.Date
	GrantedOn term.Date // as registered; a later asset.granted event sets it too
	Region    string
	Owners    []uuid.UUID
	Attrs     Attributes
}

// event is one recorded lifecycle event, decoded.
type event struct {
	Seq         int64
	Type        string
	EffectiveOn term.Date
	Data        eventData
}

// financing is one counted pledge-financing amount over a pledge that includes the asset, and
// the asset's equal share of it among the rights then in the pledge.
type financing struct {
	On        term.Date
	AmountFen int64
	ShareFen  int64
}

type dated[T any] struct {
	On term.Date // zero: from the start
	V  T
}

// timeline is an asset's whole history folded from its registration and events: a pure
// function of them, the policy and its pledges' financing. Nothing here reads a clock.
type timeline struct {
	f             facts
	granted       term.Date
	start, end    term.Date   // counts on [start, end); zero start: never; zero end: open
	expiries      []term.Date // the term's last valid day, then after each renewal
	renewed       []term.Date // each renewal's effective date, in order
	lapsedOn      term.Date   // a lapse not (yet) restored
	invalidatedOn term.Date
	regions       []dated[string]
	owners        []dated[[]uuid.UUID]
	frozen        []dated[bool]
	wellKnownFrom term.Date
	familyFrom    term.Date
	criteria      map[string]term.Date // high-value criterion → first day it holds
	industry      string
}

// needsGrant: kinds whose right exists only once granted or registered by an office act.
func needsGrant(k ident.Kind) bool {
	return k.IsPatent() || k.IsTrademarkLike() || k == ident.PlantVariety
}

// eventOrder is the order a timeline folds events in: by effective date, then ledger seq.
func eventOrder(a, b event) int {
	if c := a.EffectiveOn.Compare(b.EffectiveOn); c != 0 {
		return c
	}
	return cmp.Compare(a.Seq, b.Seq)
}

// financingOrder is the order a timeline sums financing in: by date (the order of one day's
// amounts does not change the day a sum reaches the threshold).
func financingOrder(a, b financing) int { return a.On.Compare(b.On) }

// inOrder returns xs sorted by order: xs itself when it already is (the common case, so no
// copy), otherwise a sorted copy, stable so that equal keys keep their order; never xs
// reordered in place, so a caller's slice stays as it passed it.
func inOrder[T any](xs []T, order func(a, b T) int) []T {
	if slices.IsSortedFunc(xs, order) {
		return xs
	}
	xs = slices.Clone(xs)
	slices.SortStableFunc(xs, order)
	return xs
}

func minDate(a, b term.Date) term.Date {
	switch {
	case a.IsZero():
		return b
	case b.IsZero():
		return a
	case b.Before(a):
		return b
	}
	return a
}

func maxDate(a, b term.Date) term.Date {
	if a.Before(b) {
		return b
	}
	return a
}

// fold builds the timeline from the events in (effective_on, seq) order and the financing in
// date order, in whatever order evs and fin arrive: it sorts its own input (a copy).
func fold(f facts, evs []event, pol policy, fin []financing) *timeline {
	evs, fin = inOrder(evs, eventOrder), inOrder(fin, financingOrder)
	t := &timeline{f: f, granted: f.GrantedOn, criteria: map[string]term.Date{}}
	t.regions = []dated[string]{{V: f.Region}}
	t.owners = []dated[[]uuid.UUID]{{V: f.Owners}}
	var renewals int
	var designated term.Date
	for _, e := range evs {
		switch e.Type {
		case EventGrant:
			if t.granted.IsZero() {
				t.granted = e.EffectiveOn
			}
		case EventRenew:
			renewals++
			t.renewed = append(t.renewed, e.EffectiveOn)
		case EventLapse:
			t.lapsedOn = e.EffectiveOn
		case EventRestore:
			// Restoration (Patent Law Implementing Rules r. 6) puts the right back as if it had
			// never lapsed: the lapse is cancelled retroactively.
			t.lapsedOn = term.Date{}
		case EventInvalidate:
			if t.invalidatedOn.IsZero() {
				t.invalidatedOn = e.EffectiveOn
			}
		case EventTransfer:
			t.owners = append(t.owners, dated[[]uuid.UUID]{e.EffectiveOn, e.Data.OwnerIDs})
			if e.Data.RegionCode != "" {
				t.regions = append(t.regions, dated[string]{e.EffectiveOn, e.Data.RegionCode})
			}
		case EventSetRegion:
			t.regions = append(t.regions, dated[string]{e.EffectiveOn, e.Data.RegionCode})
		case EventFreeze:
			t.frozen = append(t.frozen, dated[bool]{e.EffectiveOn, true})
		case EventUnfreeze:
			t.frozen = append(t.frozen, dated[bool]{e.EffectiveOn, false})
		case EventDesignate:
			if designated.IsZero() {
				designated = e.EffectiveOn
				t.industry = e.Data.Industry
			}
		case EventForeignFamily:
			// Only a granted foreign or regional patent counts, from its grant. A member
			// recorded before family_status existed reads as it did (from the date it was
			// recorded as of), except a PCT filing, which is never a granted patent.
			switch e.Data.FamilyStatus {
			case FamilyGranted:
				t.familyFrom = minDate(t.familyFrom, e.Data.FamilyGrantedOn)
			case "":
				if e.Data.Country != "WO" {
					t.familyFrom = minDate(t.familyFrom, e.EffectiveOn)
				}
			}
		case EventAward:
			t.criteria[CriterionAward] = minDate(t.criteria[CriterionAward], e.EffectiveOn)
		case EventWellKnown:
			t.wellKnownFrom = minDate(t.wellKnownFrom, e.EffectiveOn)
		}
	}

	// The term.
	var base term.Date
	var ok bool
	switch {
	case f.Kind == ident.PlantVariety:
		base, ok = term.PlantVarietyExpiry(t.granted, f.Attrs.Category == CategoryTreeVine, pol.terms)
	default:
		base, ok = term.Expiry(f.Kind, f.FiledOn, t.granted, pol.terms)
	}
	if ok {
		t.expiries = append(t.expiries, base)
		for i := 0; i < renewals; i++ {
			t.expiries = append(t.expiries, term.RenewedExpiry(t.expiries[len(t.expiries)-1]))
		}
	}

	// When it counts.
	switch {
	case needsGrant(f.Kind) || f.Kind == ident.PlantVariety:
		// A plant variety counts once its right is granted: an application may still be
		// rejected or withdrawn, and nothing could then end its count.
		t.start = t.granted
	default:
		t.start = t.granted
		if t.start.IsZero() {
			t.start = f.FiledOn
		}
	}
	if len(t.expiries) > 0 {
		t.end = t.expiries[len(t.expiries)-1].AddDays(1)
	}
	t.end = minDate(t.end, t.lapsedOn)
	t.end = minDate(t.end, t.invalidatedOn)
	if !t.start.IsZero() && !t.end.IsZero() && !t.start.Before(t.end) {
		t.start, t.end = term.Date{}, term.Date{}
	}

	// High value (invention patents only).
	if f.Kind == ident.InventionPatent {
		strategic := designated
		if ind := matchConcordance(f.Attrs.IPC, pol.concordance); ind != "" {
			strategic = minDate(strategic, f.FiledOn)
			if t.industry == "" || (!designated.IsZero() && f.FiledOn.Before(designated)) {
				t.industry = ind
			}
		}
		if !strategic.IsZero() {
			t.criteria[CriterionStrategicIndustry] = strategic
		}
		if !t.familyFrom.IsZero() {
			t.criteria[CriterionForeignFamily] = t.familyFrom
		}
		if !f.FiledOn.IsZero() {
			t.criteria[CriterionMaintained] = term.MaintainedSince(f.FiledOn, pol.terms.MaintainedYears)
		}
		var sum int64
		for _, x := range fin {
			if pol.allocation == AllocationEqualShare {
				sum += x.ShareFen
			} else {
				sum += x.AmountFen
			}
			if sum >= pol.thresholdFen {
				t.criteria[CriterionPledgeFinancing] = x.On
				break
			}
		}
	} else {
		delete(t.criteria, CriterionAward)
	}
	return t
}

// matchConcordance returns the industry of the first IPC class that a concordance prefix covers.
func matchConcordance(ipc []string, rows []ConcordanceRow) string {
	for _, c := range ipc {
		for _, r := range rows {
			if strings.HasPrefix(c, r.IPCPrefix) {
				return r.Industry
			}
		}
	}
	return ""
}

func (t *timeline) hvFrom() term.Date {
	var d term.Date
	for _, v := range t.criteria {
		d = minDate(d, v)
	}
	return d
}

// state is the asset as of one day.
type state struct {
	Status    string
	Valid     bool
	ExpiresOn term.Date
	Frozen    bool
	Owners    []uuid.UUID
	Region    string
	Granted   term.Date
	WellKnown bool
	Criteria  []string
	HighValue bool
	Counts    bool // inside a span: counted by the indicators on that day
}

func (t *timeline) at(d term.Date) state {
	s := state{Region: t.regions[0].V, Owners: t.owners[0].V}
	for _, r := range t.regions[1:] {
		if !r.On.After(d) {
			s.Region = r.V
		}
	}
	for _, o := range t.owners[1:] {
		if !o.On.After(d) {
			s.Owners = o.V
		}
	}
	for _, fz := range t.frozen {
		if !fz.On.After(d) {
			s.Frozen = fz.V
		}
	}
	if !t.granted.IsZero() && !t.granted.After(d) {
		s.Granted = t.granted
	}
	if n := len(t.expiries); n > 0 {
		// The term running on d, or a later one a renewal in effect by d has already added: a
		// mark renewed before it expires shows its new expiry from the renewal on.
		k := 0
		for k < n-1 && t.expiries[k].Before(d) {
			k++
		}
		r := 0
		for _, on := range t.renewed {
			if !on.After(d) {
				r++
			}
		}
		s.ExpiresOn = t.expiries[max(k, min(r, n-1))]
	}
	switch {
	case !t.invalidatedOn.IsZero() && !d.Before(t.invalidatedOn):
		s.Status = StatusInvalidated
	case !t.lapsedOn.IsZero() && !d.Before(t.lapsedOn):
		s.Status = StatusLapsed
	case needsGrant(t.f.Kind) && s.Granted.IsZero():
		s.Status = StatusPending
	case !needsGrant(t.f.Kind) && (t.start.IsZero() || d.Before(t.start)):
		s.Status = StatusPending
	case len(t.expiries) > 0 && d.After(t.expiries[len(t.expiries)-1]):
		s.Status = StatusExpired
	default:
		s.Status = StatusValid
	}
	s.Valid = s.Status == StatusValid
	s.Counts = !t.start.IsZero() && !d.Before(t.start) && (t.end.IsZero() || d.Before(t.end))
	s.WellKnown = s.Valid && !t.wellKnownFrom.IsZero() && !d.Before(t.wellKnownFrom)
	if t.f.Kind == ident.InventionPatent {
		for _, c := range criteriaOrder {
			if from, ok := t.criteria[c]; ok && !d.Before(from) {
				s.Criteria = append(s.Criteria, c)
			}
		}
		s.HighValue = s.Valid && len(s.Criteria) > 0
	}
	return s
}

// span is one row of registry.asset_spans without its known_from/known_to.
type span struct {
	Kind              ident.Kind
	Region            string
	ValidFrom         term.Date
	ValidTo           term.Date
	HighValueFrom     term.Date
	WellKnownFrom     term.Date
	ForeignFamilyFrom term.Date
}

// spans cuts [start, end) at every change of region; the "from" dates are clipped to each piece.
func (t *timeline) spans() []span {
	if t.start.IsZero() {
		return nil
	}
	inside := func(d term.Date) bool {
		return d.After(t.start) && (t.end.IsZero() || d.Before(t.end))
	}
	regionAt := func(d term.Date) string {
		r := t.regions[0].V
		for _, x := range t.regions[1:] {
			if !x.On.After(d) {
				r = x.V
			}
		}
		return r
	}
	cuts := []term.Date{t.start}
	for _, x := range t.regions[1:] {
		if inside(x.On) {
			cuts = append(cuts, x.On)
		}
	}
	sort.Slice(cuts, func(i, j int) bool { return cuts[i].Before(cuts[j]) })
	var out []span
	for i, from := range cuts {
		to := t.end
		if i+1 < len(cuts) {
			to = cuts[i+1]
		}
		if !to.IsZero() && !from.Before(to) {
			continue
		}
		r := regionAt(from)
		if n := len(out); n > 0 && out[n-1].Region == r {
			out[n-1].ValidTo = to
			continue
		}
		out = append(out, span{Kind: t.f.Kind, Region: r, ValidFrom: from, ValidTo: to})
	}
	clip := func(d term.Date, s span) term.Date {
		if d.IsZero() {
			return d
		}
		d = maxDate(d, s.ValidFrom)
		if !s.ValidTo.IsZero() && !d.Before(s.ValidTo) {
			return term.Date{}
		}
		return d
	}
	for i := range out {
		if t.f.Kind == ident.InventionPatent {
			out[i].HighValueFrom = clip(t.hvFrom(), out[i])
		}
		if t.f.Kind.IsTrademarkLike() {
			out[i].WellKnownFrom = clip(t.wellKnownFrom, out[i])
		}
		if t.f.Kind.IsPatent() {
			out[i].ForeignFamilyFrom = clip(t.familyFrom, out[i])
		}
	}
	return out
}
