package registrytest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"ipledger/registry"
	"ipledger/registry/ident"
	"ipledger/registry/term"
)

// GenOptions sizes a generated data set (load tests and benchmarks).
type GenOptions struct {
	Parties int    // owners (default 2,000)
	Assets  int    // rights of every kind (default 100,000)
	Events  int    // grants, renewals, lapses, transfers, recognitions, family members over 2021–2025
	Pledges int    // registrations over 2021–2025, a third amended upwards
	Seed    uint64 // the same seed gives the same data
	Workers int    // concurrent writers for parties (default 64; the ledger batches them)
	Batch   int    // assets per RegisterAssets write (default 5,000)
	// EventBatch is events, pledges or amendments per AssetEvents / RegisterPledges /
	// PledgeEvents write (default 1,000).
	EventBatch int
	// Progress, if set, is told what is being loaded.
	Progress func(format string, args ...any)
}

// Generate loads a synthetic city through the registry's own API — RegisterAssets,
// AssetEvents, RegisterPledges and PledgeEvents, many items per ledger write — so every row of
// every projection is what the live system would hold. Dates fall in
// 2004–2025; ctx must carry an actor.
func Generate(ctx context.Context, reg *registry.Service, o GenOptions) error {
	c := NewCity(reg, o)
	if err := c.RegisterParties(ctx); err != nil {
		return err
	}
	if err := c.RegisterAssets(ctx); err != nil {
		return err
	}
	if err := c.RecordEvents(ctx); err != nil {
		return err
	}
	return c.RegisterPledges(ctx)
}

// made is a generated asset as the later phases draw from it.
type made struct {
	ID      uuid.UUID
	Kind    ident.Kind
	Owner   uuid.UUID
	Filed   term.Date
	Granted term.Date
	Expires term.Date
}

// City is Generate's state between its phases (parties, assets, events, pledges), so that a
// benchmark can load the assets once (Save) and time the later phases again on copies of them
// (Load). Run the phases in order, each once.
type City struct {
	reg     *registry.Service
	o       GenOptions
	say     func(format string, args ...any)
	today   term.Date
	parties []uuid.UUID
	bank    uuid.UUID
	assets  []made
	evRng   *rand.Rand
	moved   map[uuid.UUID]bool // transferred or lapsed by the events: not pledged
}

// NewCity starts a data set sized by o (Generate's defaults) on reg.
func NewCity(reg *registry.Service, o GenOptions) *City {
	if o.Parties <= 0 {
		o.Parties = 2000
	}
	if o.Assets <= 0 {
		o.Assets = 100_000
	}
	if o.Workers <= 0 {
		o.Workers = 64
	}
	if o.Batch <= 0 {
		o.Batch = 5000
	}
	if o.EventBatch <= 0 {
		o.EventBatch = 1000
	}
	say := o.Progress
	if say == nil {
		say = func(string, ...any) {}
	}
	return &City{reg: reg, o: o, say: say, today: reg.Today(),
		evRng: rand.New(rand.NewPCG(o.Seed, 7)), moved: map[uuid.UUID]bool{}}
}

var units = []string{"150502", "150521", "150522", "150523", "150524", "150525", "150526", "150571", "150581"}

// RegisterParties registers the owners and the bank.
func (c *City) RegisterParties(ctx context.Context) error {
	c.parties = make([]uuid.UUID, c.o.Parties)
	err := parallel(ctx, c.o.Parties, c.o.Workers, func(i int) error {
		body := fmt.Sprintf("91150500MG%07d", i)
		ch, _ := ident.USCCCheckChar(body)
		p, _, err := c.reg.RegisterParty(ctx, registry.PartyInput{Name: fmt.Sprintf("通辽生成企业%d", i), Kind: registry.Enterprise,
			USCC: body + string(ch), RegionCode: units[i%len(units)]})
		c.parties[i] = p.ID
		return err
	})
	if err != nil {
		return fmt.Errorf("generate parties: %w", err)
	}
	bank, _, err := c.reg.RegisterParty(ctx, registry.PartyInput{Name: "生成银行", Kind: registry.Bank, RegionCode: "150502"})
	if err != nil {
		return err
	}
	c.bank = bank.ID
	c.say("parties: %d", c.o.Parties)
	return nil
}

// RegisterAssets registers the assets in batches of o.Batch, each drawn and made ready
// (PrepareAssets) while the batch before it is written (RegisterPrepared), as the importer does.
func (c *City) RegisterAssets(ctx context.Context) error {
	o, today, parties := c.o, c.today, c.parties
	rng := rand.New(rand.NewPCG(o.Seed, o.Seed^0x5eed))
	p := term.DefaultParams()
	type batch struct {
		ins  []registry.AssetInput
		prep *registry.AssetBatch
	}
	err := registry.WriteAhead(ctx, o.Assets, o.Batch, func(ctx context.Context, start, end int) (batch, error) {
		b := batch{ins: make([]registry.AssetInput, end-start)}
		for j := range b.ins {
			b.ins[j] = c.drawAsset(rng, parties, today, start+j)
		}
		var err error
		b.prep, err = c.reg.PrepareAssets(ctx, b.ins)
		return b, err
	}, func(start, end int, b batch) error {
		res, err := c.reg.RegisterPrepared(ctx, b.prep)
		if err != nil {
			return err
		}
		for j, r := range res {
			if r.Err != nil {
				return fmt.Errorf("asset %s %s: %v", b.ins[j].Kind, b.ins[j].Number, r.Err)
			}
			in := b.ins[j]
			var exp term.Date
			if !in.GrantedOn.IsZero() && in.Kind != ident.PlantVariety {
				exp, _ = term.Expiry(in.Kind, in.FiledOn, in.GrantedOn, p)
			}
			c.assets = append(c.assets, made{r.ID, in.Kind, in.OwnerIDs[0], in.FiledOn, in.GrantedOn, exp})
		}
		c.say("assets: %d", end)
		return nil
	})
	if err != nil {
		return fmt.Errorf("generate assets: %w", err)
	}
	return c.reg.Analyze(ctx) // as an import of this size does (importer)
}

// drawAsset draws the i-th asset.
func (c *City) drawAsset(rng *rand.Rand, parties []uuid.UUID, today term.Date, i int) registry.AssetInput {
	year := 2004 + rng.IntN(22)
	filed := term.New(year, 1, 1).AddDays(rng.IntN(365))
	granted := filed.AddDays(120 + rng.IntN(900))
	if granted.After(today) {
		granted = term.Date{}
	}
	owner := parties[rng.IntN(len(parties))]
	in := registry.AssetInput{Title: fmt.Sprintf("生成资产%d", i), OwnerIDs: []uuid.UUID{owner}}
	switch r := rng.IntN(1000); {
	case r < 400:
		in.Kind, in.Number, in.FiledOn, in.GrantedOn = ident.InventionPatent, genPatentNo(year, '1', i), filed, granted
		if rng.IntN(4) == 0 {
			in.Attributes.IPC = []string{"H01M10/0525"}
		}
	case r < 600:
		in.Kind, in.Number, in.FiledOn, in.GrantedOn = ident.UtilityModel, genPatentNo(year, '2', i), filed, granted
	case r < 880:
		in.Kind, in.Number, in.GrantedOn = ident.Trademark, fmt.Sprint(50_000_000+i), filed
	case r < 890:
		in.Kind, in.Number, in.GrantedOn = ident.GICertificationMark, fmt.Sprint(50_000_000+i), filed
	case r < 895:
		in.Kind, in.Number, in.GrantedOn = ident.GICollectiveMark, fmt.Sprint(50_000_000+i), filed
	case r < 896:
		in.Kind, in.Number, in.GrantedOn = ident.GIProduct, fmt.Sprintf("GEN-%d", i), filed
	case r < 960:
		in.Kind, in.Number, in.GrantedOn = ident.SoftwareCopyright, fmt.Sprintf("%dSR%07d", year, i), filed
	default:
		in.Kind, in.Number, in.FiledOn = ident.PlantVariety, fmt.Sprintf("%d1%07d", year, i), filed
	}
	return in
}

// pick draws an asset that ok accepts (up to 20 tries).
func (c *City) pick(ok func(made) bool) (made, bool) {
	for try := 0; try < 20; try++ {
		a := c.assets[c.evRng.IntN(len(c.assets))]
		if ok(a) {
			return a, true
		}
	}
	return made{}, false
}

func (c *City) plan() (start, end term.Date) {
	return term.New(2021, 1, 1), minDate(term.New(2025, 12, 31), c.today)
}

// RecordEvents draws the events (drawEvents) and records them in batches of o.EventBatch per
// ledger write, each made ready (PrepareAssetEvents) while the batch before it is written
// (RecordPreparedEvents).
func (c *City) RecordEvents(ctx context.Context) error {
	evs := c.drawEvents()
	recorded := 0
	err := registry.WriteAhead(ctx, len(evs), c.o.EventBatch, func(ctx context.Context, start, end int) (*registry.AssetEventBatch, error) {
		return c.reg.PrepareAssetEvents(ctx, evs[start:end])
	}, func(start, end int, b *registry.AssetEventBatch) error {
		res, err := c.reg.RecordPreparedEvents(ctx, b)
		if err != nil {
			return err
		}
		for _, r := range res {
			if r.Err == nil { // a refused event (e.g. the patent lapsed already) is skipped
				recorded++
			}
		}
		c.say("events: %d drawn, %d recorded", end, recorded)
		return nil
	})
	if err != nil {
		return fmt.Errorf("generate events: %w", err)
	}
	return c.reg.Analyze(ctx)
}

// drawEvents draws events over 2021–2025 (grants, renewals, lapses, transfers, recognitions,
// family members) up front, noting the rights transferred or lapsed (not pledged later).
func (c *City) drawEvents() []registry.AssetEventItem {
	o, r := c.o, c.evRng
	planStart, planEnd := c.plan()
	var evs []registry.AssetEventItem
	for i := 0; len(evs) < o.Events && i < 2*o.Events; i++ {
		var a made
		var ok bool
		in := registry.EventInput{}
		switch x := r.IntN(100); {
		case x < 10: // a renewal of a mark expiring in the plan's years, up to 10 months early
			a, ok = c.pick(func(a made) bool {
				return a.Kind.IsTrademarkLike() && !a.Expires.IsZero() && a.Expires.After(planStart.AddDays(300)) && a.Expires.Before(planEnd)
			})
			in.Type, in.EffectiveOn = registry.EventRenew, a.Expires.AddDays(-r.IntN(300))
		case x < 15: // a late grant of a patent or plant variety filed before the plan's end
			a, ok = c.pick(func(a made) bool {
				return a.Granted.IsZero() && a.Kind != ident.GIProduct && !a.Filed.IsZero() && a.Filed.Before(planEnd)
			})
			from := a.Filed.AddDays(1)
			if from.Before(planStart) {
				from = planStart
			}
			if ok && from.Before(planEnd) {
				in.Type, in.EffectiveOn = registry.EventGrant, from.AddDays(r.IntN(int(days(from, planEnd))+1))
			} else {
				ok = false
			}
		default:
			on := planStart.AddDays(r.IntN(5 * 365))
			in.EffectiveOn = on
			a, ok = c.pick(func(a made) bool {
				return !a.Granted.IsZero() && a.Granted.Before(on) && (a.Expires.IsZero() || on.Before(a.Expires))
			})
			switch {
			case a.Kind.IsPatent() && r.IntN(2) == 0:
				in.Type = registry.EventLapse
			case a.Kind == ident.InventionPatent:
				in.Type, in.Country, in.FamilyNumber, in.FamilyDate = registry.EventForeignFamily, "US", fmt.Sprintf("US%d", i), on
			case a.Kind.IsTrademarkLike() && r.IntN(50) == 0:
				in.Type = registry.EventWellKnown
			default:
				in.Type, in.OwnerIDs, in.PledgeeConsent = registry.EventTransfer, []uuid.UUID{c.parties[r.IntN(len(c.parties))]}, true
			}
		}
		if ok {
			evs = append(evs, registry.AssetEventItem{AssetID: a.ID, Event: in})
			if in.Type == registry.EventTransfer || in.Type == registry.EventLapse {
				c.moved[a.ID] = true
			}
		}
	}
	return evs
}

// RegisterPledges draws pledges over 2021–2025 on pledgeable rights valid on the registration
// day (and neither transferred nor lapsed by the events), a third amended upwards, and records
// them with RegisterPledges and PledgeEvents in batches. Events and pledges are drawn until
// o.Events and o.Pledges are reached (or twice as many tries); a few are still refused by the
// rules and skipped.
func (c *City) RegisterPledges(ctx context.Context) error {
	o, r, today := c.o, c.evRng, c.today
	planStart, _ := c.plan()
	pledged := map[uuid.UUID]bool{}
	var pls []registry.PledgeInput
	for i := 0; len(pls) < o.Pledges && i < 2*o.Pledges; i++ {
		on := planStart.AddDays(r.IntN(5 * 365))
		a, ok := c.pick(func(a made) bool {
			return !pledged[a.ID] && !c.moved[a.ID] && a.Kind.Pledgeable() && !a.Granted.IsZero() && a.Granted.Before(on) &&
				(a.Expires.IsZero() || on.AddDays(365).Before(a.Expires))
		})
		if !ok {
			continue
		}
		pledged[a.ID] = true
		pls = append(pls, registry.PledgeInput{PledgorIDs: []uuid.UUID{a.Owner}, AssetIDs: []uuid.UUID{a.ID},
			Amount: registry.Money(100_000_00 + r.IntN(5_000_000_00)).String(), ContractNo: fmt.Sprintf("GEN-%d", i),
			RegisteredOn: on, EndsOn: on.AddDays(365), PledgeeID: c.bank})
	}
	var amends []registry.PledgeEventItem
	recorded := 0
	err := registry.WriteAhead(ctx, len(pls), o.EventBatch, func(ctx context.Context, start, end int) (*registry.PledgeBatch, error) {
		return c.reg.PreparePledges(ctx, pls[start:end])
	}, func(start, end int, b *registry.PledgeBatch) error {
		chunk := pls[start:end]
		res, err := c.reg.RegisterPreparedPledges(ctx, b)
		if err != nil {
			return err
		}
		for j, res := range res {
			if res.Err != nil {
				continue // e.g. the right was transferred or lapsed by then
			}
			recorded++
			if r.IntN(3) == 0 {
				amount, _ := registry.ParseMoney(chunk[j].Amount)
				amends = append(amends, registry.PledgeEventItem{PledgeID: res.ID, Event: registry.PledgeEventInput{
					Type: registry.PledgeAmend, EffectiveOn: minDate(chunk[j].RegisteredOn.AddDays(30+r.IntN(200)), today),
					Amount: (amount + registry.Money(50_000_00)).String()}})
			}
		}
		c.say("pledges: %d drawn, %d registered", end, recorded)
		if start == 0 {
			// The pledges' tables were empty when last analyzed: the reads of the batches
			// after this one would be planned as if they still were (the rights' financing
			// read with a sequential scan of the financing per pledge row: 50 ms a batch at
			// 20,000 pledges and 3.5 s a batch of amendments, docs/BENCHMARKS.md).
			return c.reg.Analyze(ctx)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("generate pledges: %w", err)
	}
	if err := c.reg.Analyze(ctx); err != nil { // likewise the amendments' reads
		return err
	}
	for start := 0; start < len(amends); start += o.EventBatch {
		if _, err := c.reg.PledgeEvents(ctx, registry.OfficeViewer(), amends[start:min(start+o.EventBatch, len(amends))]); err != nil {
			return fmt.Errorf("generate pledge amendments: %w", err)
		}
	}
	c.say("pledge amendments: %d", len(amends))
	return nil
}

// cityState is what Save keeps of a city after its assets: what the later phases draw from.
type cityState struct {
	Parties []uuid.UUID
	Bank    uuid.UUID
	Assets  []made
}

// Save writes the city's parties and assets, for Load on a copy of the database they were
// registered in.
func (c *City) Save(w io.Writer) error {
	return json.NewEncoder(w).Encode(cityState{c.parties, c.bank, c.assets})
}

// Load reads what Save wrote, in place of RegisterParties and RegisterAssets.
func (c *City) Load(r io.Reader) error {
	var st cityState
	if err := json.NewDecoder(r).Decode(&st); err != nil {
		return fmt.Errorf("registrytest: load city: %w", err)
	}
	c.parties, c.bank, c.assets = st.Parties, st.Bank, st.Assets
	return nil
}

func genPatentNo(year int, typ byte, serial int) string {
	body := fmt.Sprintf("%04d%c%07d", year, typ, serial%10_000_000)
	c, _ := ident.PatentCheckChar(body)
	return body + "." + string(c)
}

func parallel(ctx context.Context, n, workers int, fn func(i int) error) error {
	return parallelW(ctx, n, workers, func(_, i int) error { return fn(i) })
}

// parallelW runs fn(worker, i) for i in [0, n) on workers goroutines; the first error stops it.
func parallelW(ctx context.Context, n, workers int, fn func(w, i int) error) error {
	var next atomic.Int64
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := fn(w, i); err != nil {
					once.Do(func() { first = err })
					next.Store(int64(n))
					return
				}
			}
		}(w)
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}

func minDate(a, b term.Date) term.Date { return slices.MinFunc([]term.Date{a, b}, term.Date.Compare) }

// days is the number of days from a to b.
func days(a, b term.Date) int64 { return int64(b.Time().Sub(a.Time()) / (24 * time.Hour)) }
